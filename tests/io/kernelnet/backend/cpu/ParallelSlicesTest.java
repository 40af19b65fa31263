package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The thresholds decide the branch, and each branch slices the work as it says: {@link ParallelSlices#ALWAYS}
 * splits any op of two or more units into several contiguous slices, {@link ParallelSlices#NEVER} runs one slice of
 * everything on the calling thread, and {@link ParallelSlices#DEFAULT} switches exactly at its thresholds. So the
 * tests that compare the two branches (ParallelBranchesTest) do run both.
 */
class ParallelSlicesTest {
    /** The (from, count) slices a run handed out, sorted by from. */
    private static List<int[]> slices(ParallelSlices p, boolean products, long size, int units) {
        List<int[]> slices = new ArrayList<>();
        ParallelSlices.SliceTask record = (from, count) -> {
            synchronized (slices) {
                slices.add(new int[] {from, count});
            }
        };
        if (products) {
            p.overProducts(size, units, record);
        } else {
            p.overElements(size, units, record);
        }
        slices.sort(Comparator.comparingInt(s -> s[0]));
        return slices;
    }

    /** The slices cover [0, units) without gap or overlap. */
    private static void assertCovers(int units, List<int[]> slices) {
        int next = 0;
        for (int[] s : slices) {
            assertEquals(next, s[0], "slices are contiguous");
            assertTrue(s[1] > 0, "no empty slice");
            next += s[1];
        }
        assertEquals(units, next, "slices cover every unit");
    }

    @Test
    void alwaysSplitsIntoAFewSlicesPerThread() {
        int expected = Math.min(100, 4 * CpuWorkers.COMMON.threads());
        for (boolean products : new boolean[] {false, true}) {
            List<int[]> s = slices(ParallelSlices.ALWAYS, products, 1, 100);
            assertEquals(expected, s.size(), "slices of 100 units");
            assertCovers(100, s);
            List<int[]> two = slices(ParallelSlices.ALWAYS, products, 1, 2);
            assertEquals(2, two.size(), "two units, two slices");
            assertCovers(2, two);
        }
    }

    @Test
    void neverRunsOneSliceOnTheCallingThread() {
        Thread caller = Thread.currentThread();
        for (boolean products : new boolean[] {false, true}) {
            List<int[]> s = slices(ParallelSlices.NEVER, products, Long.MAX_VALUE - 1, 100);
            assertEquals(1, s.size());
            assertArrayEquals(new int[] {0, 100}, s.get(0));
        }
        List<Thread> ran = new ArrayList<>();
        ParallelSlices.NEVER.overElements(10, 5, (from, count) -> ran.add(Thread.currentThread()));
        assertEquals(List.of(caller), ran);
    }

    @Test
    void defaultSwitchesExactlyAtItsThresholds() {
        long elements = ParallelSlices.DEFAULT.minElements();
        long products = ParallelSlices.DEFAULT.minMultiplyAdds();
        assertEquals(1 << 15, elements);
        assertEquals(1 << 18, products);
        assertEquals(1, slices(ParallelSlices.DEFAULT, false, elements - 1, 50).size());
        assertTrue(slices(ParallelSlices.DEFAULT, false, elements, 50).size() > 1);
        assertEquals(1, slices(ParallelSlices.DEFAULT, true, products - 1, 50).size());
        assertTrue(slices(ParallelSlices.DEFAULT, true, products, 50).size() > 1);
    }

    @Test
    void oneOrNoUnitIsNeverSplit() {
        assertEquals(1, slices(ParallelSlices.ALWAYS, false, 1, 1).size());
        assertTrue(slices(ParallelSlices.ALWAYS, false, 1, 0).isEmpty());
        assertTrue(slices(ParallelSlices.NEVER, false, 1, 0).isEmpty());
    }

    @Test
    void eachOfRunsEveryIndexOnceOnEitherBranch() {
        for (ParallelSlices p : new ParallelSlices[] {ParallelSlices.ALWAYS, ParallelSlices.NEVER}) {
            int[] runs = new int[9];
            p.eachOf(1, runs.length, i -> {
                synchronized (runs) {
                    runs[i]++;
                }
            });
            assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, runs, p.toString());
        }
        List<Integer> order = new ArrayList<>();
        ParallelSlices.NEVER.eachOf(Long.MAX_VALUE - 1, 4, order::add);
        assertEquals(List.of(0, 1, 2, 3), order, "in order, on the calling thread");
    }

    @Test
    void sliceViews() {
        Tensor t = Tensor.wrap(new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, Shape.of(3, 2, 2));
        Tensor flat = ParallelSlices.flat(t, 5, 4);
        assertEquals(Shape.of(4), flat.shape());
        assertArrayEquals(new float[] {5, 6, 7, 8}, flat.toArray());
        Tensor samples = ParallelSlices.samples(t, 1, 2);
        assertEquals(Shape.of(2, 2, 2), samples.shape());
        assertArrayEquals(new float[] {4, 5, 6, 7, 8, 9, 10, 11}, samples.toArray());
    }
}
