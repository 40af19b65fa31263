package io.kernelnet.data;

import static io.kernelnet.io.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DatasetTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final Shape EXAMPLE = Shape.of(2, 3, 4);
    private static final int SIZE = 24;

    private Dataset random(int n, float[] images, float[] labels) {
        System.arraycopy(rng.uniform(n * SIZE, 0, 1), 0, images, 0, n * SIZE);
        System.arraycopy(rng.labels(n, 7), 0, labels, 0, n);
        return new Dataset(images.clone(), EXAMPLE, labels.clone(), 7);
    }

    @Test
    void describesItself() {
        int n = 5 + rng.nextInt(50);
        float[] labels = new float[n];
        Dataset d = random(n, new float[n * SIZE], labels);
        assertEquals(n, d.count());
        assertEquals(EXAMPLE, d.exampleShape());
        assertEquals(SIZE, d.exampleSize());
        assertEquals(7, d.numClasses());
        int[] counts = new int[7];
        for (float l : labels) {
            counts[(int) l]++;
        }
        assertArrayEquals(counts, d.classCounts());
        int i = rng.nextInt(n);
        assertEquals((int) labels[i], d.label(i));
    }

    @Test
    void copiesTheExamplesAnOrderNames() {
        int n = 20 + rng.nextInt(50);
        float[] images = new float[n * SIZE];
        float[] labels = new float[n];
        Dataset d = random(n, images, labels);
        int[] order = d.shuffledOrder(rng.random());
        int from = rng.nextInt(n / 2);
        int count = 1 + rng.nextInt(n - from);
        float[] x = new float[count * SIZE + 3];
        float[] y = new float[count];
        d.copyImages(order, from, count, x);
        d.copyLabels(order, from, count, y);
        for (int k = 0; k < count; k++) {
            int e = order[from + k];
            assertArrayEquals(Arrays.copyOfRange(images, e * SIZE, (e + 1) * SIZE),
                    Arrays.copyOfRange(x, k * SIZE, (k + 1) * SIZE));
            assertEquals(labels[e], y[k]);
        }
        float[] first = new float[SIZE];
        d.copyImages(d.sequentialOrder(), 0, 1, first);
        assertArrayEquals(Arrays.copyOf(images, SIZE), first);
    }

    @Test
    void shuffledOrderIsAReproduciblePermutation() {
        Dataset d = random(1000, new float[1000 * SIZE], new float[1000]);
        long seed = rng.random().nextLong();
        int[] a = d.shuffledOrder(new Random(seed));
        int[] b = d.shuffledOrder(new Random(seed));
        int[] c = d.shuffledOrder(new Random(seed + 1));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        assertFalse(Arrays.equals(a, d.sequentialOrder()));
        int[] sorted = a.clone();
        Arrays.sort(sorted);
        assertArrayEquals(d.sequentialOrder(), sorted);
    }

    @Test
    void splitHoldsOutTheLastFraction() {
        int n = 100;
        float[] images = new float[n * SIZE];
        float[] labels = new float[n];
        Dataset d = random(n, images, labels);
        Dataset.Split s = d.split(0.25);
        assertEquals(75, s.train().count());
        assertEquals(25, s.validation().count());
        float[] x = new float[SIZE];
        s.validation().copyImages(s.validation().sequentialOrder(), 0, 1, x);
        assertArrayEquals(Arrays.copyOfRange(images, 75 * SIZE, 76 * SIZE), x);
        assertEquals((int) labels[99], s.validation().label(24));
        assertEquals((int) labels[74], s.train().label(74));
        assertEquals(n, d.split(0).train().count());
        assertRefused(() -> d.split(1), "[0, 1)");
        assertRefused(() -> d.split(-0.1), "[0, 1)");
    }

    @Test
    void refusesBadConstructionAndRanges() {
        assertRefused(() -> new Dataset(new float[2 * SIZE - 1], EXAMPLE, new float[2], 7), "2 labels", "48", "47");
        assertRefused(() -> new Dataset(new float[SIZE], EXAMPLE, new float[] {7}, 7), "label 0 is 7.0", "[0, 7)");
        assertRefused(() -> new Dataset(new float[SIZE], EXAMPLE, new float[] {1.5f}, 7), "label 0 is 1.5");
        assertRefused(() -> new Dataset(new float[SIZE], EXAMPLE, new float[] {Float.NaN}, 7), "NaN");
        Dataset d = random(10, new float[10 * SIZE], new float[10]);
        assertRefused(() -> d.copyImages(d.sequentialOrder(), 5, 6, new float[6 * SIZE]), "[5, 11)", "length 10");
        assertRefused(() -> d.copyLabels(d.sequentialOrder(), 0, 4, new float[3]), "4 examples", "holds 3");
        assertRefused(() -> d.slice(3, 11), "slice [3, 11)");
    }
}
