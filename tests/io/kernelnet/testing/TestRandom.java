package io.kernelnet.testing;

import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Examples;
import java.util.Random;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Fresh random inputs for every test, with the seed printed when the test fails so that it can be replayed:
 * {@code mvn test -Dkernelnet.test.seed=SEED -Dtest=TheTest}. Register it with
 * {@code @RegisterExtension final TestRandom rng = new TestRandom();}.
 */
public final class TestRandom implements BeforeEachCallback, TestWatcher {
    private long seed;
    private Random random;

    public TestRandom() {
        reseed();
    }

    private void reseed() {
        String fixed = System.getProperty("kernelnet.test.seed");
        seed = fixed != null ? Long.parseLong(fixed) : System.nanoTime() ^ Thread.currentThread().getId() * 0x9E3779B97F4A7C15L;
        random = new Random(seed);
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        reseed();
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        System.err.println("[TestRandom] " + context.getDisplayName() + " failed with seed " + seed
                + "; replay with -Dkernelnet.test.seed=" + seed);
    }

    public long seed() {
        return seed;
    }

    public Random random() {
        return random;
    }

    public int nextInt(int bound) {
        return random.nextInt(bound);
    }

    /** Uniform in [lo, hi). */
    public float[] uniform(int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * random.nextFloat();
        }
        return a;
    }

    /** Standard normal. */
    public float[] normal(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
        return a;
    }

    /** Uniform in [-1, 1) with every |value| >= gap, for ops with a kink at 0 (ReLU). */
    public float[] awayFromZero(int n, float gap) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            float v = gap + (1 - gap) * random.nextFloat();
            a[i] = random.nextBoolean() ? v : -v;
        }
        return a;
    }

    /**
     * Uniform in [-2, 2), about a third replaced by the values where comparisons and selections have a choice to
     * make: signed zeros, NaN, infinities, ties at 1 and -1, the smallest subnormals, the largest float.
     */
    public float[] withSpecialValues(int n) {
        float[] special = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
            Float.MIN_VALUE, -Float.MIN_VALUE, Float.MAX_VALUE};
        float[] a = uniform(n, -2, 2);
        for (int i = 0; i < n; i++) {
            if (random.nextInt(3) == 0) {
                a[i] = special[random.nextInt(special.length)];
            }
        }
        return a;
    }

    /** Distinct values (a shuffled, jittered ramp), so that a max has no ties within {@code gap}. */
    public float[] distinct(int n, float gap) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (i - n / 2f) * gap;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** Uniformly random bytes: file payloads, pixels. */
    public byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    /** Class indices in [0, classes) as floats. */
    public float[] labels(int n, int classes) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextInt(classes);
        }
        return a;
    }

    /** {@code n} examples of shape {@code example}, uniform in [-1, 1), each with a class index in [0, classes). */
    public Examples classification(int n, Shape example, int classes) {
        return Examples.of(uniform(Math.toIntExact(n * example.size()), -1, 1), example, labels(n, classes),
                Shape.of());
    }
}
