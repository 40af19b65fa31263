package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Philox;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class DropoutTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend cpu = new CpuBackend();

    /** Step scalars with the generator at {@code position}, at an offset in their storage. */
    private static Tensor generatorAt(long position) {
        return OffsetTensors.of(StepScalars.of(0f, 1, position), StepScalars.shape());
    }

    /** Runs the forward on fresh tensors, the step's generator at 0, and returns the mask. */
    private float[] mask(float[] x, float rate, long seed, long offset) {
        return mask(x, rate, seed, 0, offset);
    }

    private float[] mask(float[] x, float rate, long seed, long position, long offset) {
        Shape shape = Shape.of(x.length);
        Tensor mask = Tensor.zeros(shape);
        cpu.dropoutForward(Tensor.zeros(shape), mask, Tensor.wrap(x, shape), generatorAt(position), rate, seed,
                offset);
        return mask.toArray();
    }

    /**
     * Element i is kept iff Philox.uniform(seed, counter, i) >= rate, the counter being the step's generator
     * position plus the draw's offset; kept values are scaled by 1/(1 - rate).
     */
    @Test
    void followsThePhiloxMappingAtATensorOffset() {
        Shape shape = Shape.of(3, 11);
        int n = 33;
        float rate = 0.4f;
        long seed = rng.random().nextLong();
        long position = rng.random().nextLong() >>> 2;
        long offset = rng.random().nextInt(1000);
        float[] x = rng.normal(n);
        Tensor y = OffsetTensors.output(shape);
        Tensor mask = OffsetTensors.output(shape);
        cpu.dropoutForward(y, mask, OffsetTensors.of(x, shape), generatorAt(position), rate, seed, offset);
        float[] expectedY = new float[n];
        float[] expectedMask = new float[n];
        for (int i = 0; i < n; i++) {
            boolean keep = Philox.uniform(seed, position + offset, i) >= rate;
            expectedY[i] = keep ? x[i] / (1 - rate) : 0;
            expectedMask[i] = keep ? 1 / (1 - rate) : 0;
        }
        assertArrayEquals(expectedY, y.toArray(), "y");
        assertArrayEquals(expectedMask, mask.toArray(), "mask");
        OffsetTensors.assertNothingWrittenOutside("y", y);
        OffsetTensors.assertNothingWrittenOutside("mask", mask);
    }

    /** Uniforms are multiples of 2^-24, so a rate can equal one exactly: that element is kept (u >= rate). */
    @Test
    void anElementWhoseUniformEqualsTheRateIsKept() {
        long seed = rng.random().nextLong();
        float[] u = new float[8];
        for (int i = 0; i < 8; i++) {
            u[i] = Philox.uniform(seed, 0, i);
        }
        float rate = u[rng.nextInt(8)];
        float[] m = mask(rng.normal(8), rate, seed, 0);
        for (int i = 0; i < 8; i++) {
            assertEquals(u[i] >= rate ? 1 / (1 - rate) : 0, m[i], "element " + i + " with uniform " + u[i]
                    + " at rate " + rate);
        }
    }

    /** Where a training step's draws start comes from the step scalars: only the sum with the offset counts. */
    @Test
    void theStepsGeneratorPositionAddsToTheOffset() {
        float[] x = rng.normal(1000);
        long seed = rng.random().nextLong();
        long position = (1L << 62) + rng.random().nextInt();  // every word of the step scalars' count matters
        assertArrayEquals(mask(x, 0.5f, seed, 0, position + 9), mask(x, 0.5f, seed, position, 9));
        assertTrue(differing(mask(x, 0.5f, seed, position, 9), mask(x, 0.5f, seed, 0, 9)) > 350, "position ignored");
    }

    @Test
    void sameSeedAndOffsetGiveTheSameMaskAndOthersDiffer() {
        float[] x = rng.normal(1000);
        long seed = rng.random().nextLong();
        float[] first = mask(x, 0.5f, seed, 7);
        assertArrayEquals(first, mask(x, 0.5f, seed, 7), "same seed and offset");
        // two independent masks at rate 1/2 differ in about half the places; 1000 elements leave no room for chance
        assertTrue(differing(first, mask(x, 0.5f, seed, 7 + Philox.countersFor(1000))) > 350, "next offset");
        assertTrue(differing(first, mask(x, 0.5f, seed + 1, 7)) > 350, "next seed");
    }

    private static int differing(float[] a, float[] b) {
        int count = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i] != b[i]) {
                count++;
            }
        }
        return count;
    }

    @Test
    void keptFractionIsNearOneMinusRate() {
        int n = 1 << 18;
        float rate = 0.3f;
        float[] m = mask(rng.normal(n), rate, rng.random().nextLong(), rng.random().nextInt(1 << 20));
        int kept = differing(m, new float[n]); // the non-zero mask entries
        // binomial(n, 0.7): standard deviation sqrt(0.21 / n) = 0.0009 of n; 6 sigma = 0.0054
        assertEquals(1 - rate, kept / (double) n, 0.0054, "kept fraction");
    }

    @Test
    void rateZeroKeepsEverythingUnscaled() {
        float[] x = rng.normal(100);
        Shape shape = Shape.of(100);
        Tensor y = Tensor.zeros(shape);
        Tensor mask = Tensor.zeros(shape);
        cpu.dropoutForward(y, mask, Tensor.wrap(x, shape), generatorAt(0), 0f, rng.random().nextLong(), 0);
        assertArrayEquals(x, y.toArray());
        float[] ones = new float[100];
        java.util.Arrays.fill(ones, 1f);
        assertArrayEquals(ones, mask.toArray());
    }

    @Test
    void backwardMultipliesByTheMaskAtAnOffset() {
        Shape shape = Shape.of(2, 2);
        Tensor dx = OffsetTensors.output(shape);
        cpu.dropoutBackward(dx, OffsetTensors.of(new float[] {1, 2, 3, 4}, shape),
                OffsetTensors.of(new float[] {2, 0, 0, 2}, shape));
        assertArrayEquals(new float[] {2, 0, 0, 8}, dx.toArray());
        OffsetTensors.assertNothingWrittenOutside("dx", dx);
    }

    /** With a fixed seed the mask repeats on every evaluation, so dropout is a fixed linear map of x. */
    @Test
    void backwardPassesTheGradientCheck() {
        Shape shape = Shape.of(4, 6);
        float rate = 0.25f;
        long seed = rng.random().nextLong();
        float[] x = rng.normal(24);
        float[] w = rng.normal(24);
        Tensor xt = Tensor.wrap(x, shape);
        Tensor y = Tensor.zeros(shape);
        Tensor mask = Tensor.zeros(shape);
        Tensor dx = Tensor.zeros(shape);
        Tensor step = generatorAt(40);
        cpu.dropoutForward(y, mask, xt, step, rate, seed, 3);
        Compare.assertClose("y = x * mask", multiply(x, mask.toArray()), y.toArray(), 0, 1e-6);
        cpu.dropoutBackward(dx, Tensor.wrap(w, shape), mask);
        GradientChecker.check("dropout backward", x, dx.toArray(), () -> {
            cpu.dropoutForward(y, mask, xt, step, rate, seed, 3);
            return GradientChecker.weightedSum(w, y.toArray());
        });
    }

    private static float[] multiply(float[] a, float[] b) {
        float[] c = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            c[i] = a[i] * b[i];
        }
        return c;
    }

    @Test
    void refusesRatesOutside0To1AndMismatchedShapes() {
        Tensor x = Tensor.zeros(Shape.of(2, 3));
        Tensor wrong = Tensor.zeros(Shape.of(6));
        Tensor step = generatorAt(0);
        assertRefusedWith("dropoutForward: rate must be in [0, 1), got 1.0",
                () -> cpu.dropoutForward(x, x, x, step, 1f, 0, 0));
        assertRefusedWith("dropoutForward: rate must be in [0, 1), got -0.1",
                () -> cpu.dropoutForward(x, x, x, step, -0.1f, 0, 0));
        assertRefusedWith("dropoutForward: rate must be in [0, 1), got NaN",
                () -> cpu.dropoutForward(x, x, x, step, Float.NaN, 0, 0));
        assertRefusedWith("dropoutForward: mask [6] and x [2, 3] must have the same shape",
                () -> cpu.dropoutForward(x, wrong, x, step, 0.5f, 0, 0));
        assertRefusedWith("dropoutForward: y [6] and x [2, 3] must have the same shape",
                () -> cpu.dropoutForward(wrong, x, x, step, 0.5f, 0, 0));
        assertRefusedWith("dropoutForward: step has shape [6], expected [8]",
                () -> cpu.dropoutForward(x, x, x, wrong, 0.5f, 0, 0));
        assertRefusedWith("dropoutBackward: mask [6] and dy [2, 3] must have the same shape",
                () -> cpu.dropoutBackward(x, x, wrong));
    }
}
