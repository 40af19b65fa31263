package io.kernelnet.backend.cpu;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * Where the fast CPU ops split their work over the threads ({@link CpuWorkers}), and from what size. Every op that uses it
 * computes each output element the same way however the work is split (elementwise ops, rows of a product, samples
 * of a pooling, chunks fixed by the sizes alone), so the parallel and the sequential branch give the same bits;
 * tests set the thresholds to run each (FastCpuBackendTest, ParallelBranchesTest).
 *
 * @param minElements   elements of an elementwise op (or pooling input) from which it runs in parallel
 * @param minMultiplyAdds multiply-adds of a matrix product or convolution pass from which it runs in parallel
 */
record ParallelSlices(long minElements, long minMultiplyAdds) {
    /** From where splitting pays on a few cores: handing work to a spinning worker costs a few microseconds. */
    static final ParallelSlices DEFAULT = new ParallelSlices(1 << 15, 1 << 18);
    /** Every op split over the threads, however small: the parallel branch, for tests. */
    static final ParallelSlices ALWAYS = new ParallelSlices(0, 0);
    /** Every op on the calling thread: the sequential branch, for tests. */
    static final ParallelSlices NEVER = new ParallelSlices(Long.MAX_VALUE, Long.MAX_VALUE);

    /** What runs on units [from, from + count) of the slicing axis. */
    interface SliceTask {
        void run(int from, int count);
    }

    /** Runs task over [0, units) of an elementwise op of {@code elements} elements. */
    void overElements(long elements, int units, SliceTask task) {
        run(elements >= minElements, units, task);
    }

    /** Runs task over [0, units) of a product of {@code multiplyAdds} multiply-adds. */
    void overProducts(long multiplyAdds, int units, SliceTask task) {
        run(multiplyAdds >= minMultiplyAdds, units, task);
    }

    /** Runs task(i) for each i in [0, count), each on its own, of a pass of {@code multiplyAdds} multiply-adds. */
    void eachOf(long multiplyAdds, int count, IntConsumer task) {
        if (multiplyAdds >= minMultiplyAdds) {
            CpuWorkers.COMMON.run(count, task);
        } else {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
        }
    }

    /** In parallel: a few contiguous slices per thread; otherwise one slice, here. */
    private static void run(boolean parallel, int units, SliceTask task) {
        int slices = parallel ? Math.min(units, 4 * CpuWorkers.COMMON.threads()) : Math.min(units, 1);
        CpuWorkers.COMMON.run(slices, s -> {  // one slice runs on the calling thread
            int from = (int) ((long) s * units / slices);
            int end = (int) ((long) (s + 1) * units / slices);
            task.run(from, end - from);
        });
    }

    /** Elements [from, from + count) of t as a 1D view. */
    static Tensor flat(Tensor t, int from, int count) {
        return t.slice(from, Shape.of(count), t.name());
    }

    /** Samples [from, from + count) of t, whose axis 0 is the batch. */
    static Tensor samples(Tensor t, int from, int count) {
        long perSample = t.shape().sizeFrom(1);
        return t.slice(from * perSample, t.shape().with(0, count), t.name());
    }
}
