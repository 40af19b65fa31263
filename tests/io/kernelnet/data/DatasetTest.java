package io.kernelnet.data;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Examples;
import io.kernelnet.testing.TestRandom;
import java.util.Arrays;
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
    void copiesExamplesAsTheModelReadsThem() {
        int n = 20 + rng.nextInt(50);
        float[] images = new float[n * SIZE];
        float[] labels = new float[n];
        Dataset d = random(n, images, labels);
        assertEquals(EXAMPLE, d.inputShape());
        assertEquals(Shape.of(), d.targetShape());
        float[] x = new float[SIZE + 3];
        float[] y = new float[2];
        int e = rng.nextInt(n);
        d.copyInput(e, x, 3);
        d.copyTarget(e, y, 1);
        assertArrayEquals(Arrays.copyOfRange(images, e * SIZE, (e + 1) * SIZE), Arrays.copyOfRange(x, 3, SIZE + 3));
        assertEquals(labels[e], y[1]);
        Examples tail = d.range(n - 5, n);
        assertEquals(5, tail.count());
        tail.copyInput(4, x, 0);
        assertArrayEquals(Arrays.copyOfRange(images, (n - 1) * SIZE, n * SIZE), Arrays.copyOf(x, SIZE));
    }

    @Test
    void refusesBadConstructionAndRanges() {
        assertRefused(() -> new Dataset(new float[2 * SIZE - 1], EXAMPLE, new float[2], 7), "2 labels", "48", "47");
        assertRefused(() -> new Dataset(new float[SIZE], EXAMPLE, new float[] {7}, 7), "label 0 is 7.0", "[0, 7)");
        assertRefused(() -> new Dataset(new float[SIZE], EXAMPLE, new float[] {1.5f}, 7), "label 0 is 1.5");
        assertRefused(() -> new Dataset(new float[SIZE], EXAMPLE, new float[] {Float.NaN}, 7), "NaN");
        float[] images = new float[3 * SIZE];
        images[2 * SIZE + 5] = Float.NaN;
        assertRefused(() -> new Dataset(images.clone(), EXAMPLE, new float[3], 7), "example 2", "NaN", "position 5");
        images[2 * SIZE + 5] = 0;
        images[SIZE] = Float.NEGATIVE_INFINITY;
        assertRefused(() -> new Dataset(images, EXAMPLE, new float[3], 7), "example 1", "-Infinity", "position 0");
        Dataset d = random(10, new float[10 * SIZE], new float[10]);
        assertRefused(() -> d.range(3, 11), "range [3, 11)");
    }
}
