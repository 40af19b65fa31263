package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Activation;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ActivationsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend cpu = new CpuBackend();
    private static final float ALPHA = 0.1f;
    private static final double LN2 = Math.log(2);
    private static final double LN3 = Math.log(3);

    // ---- elementwise -----------------------------------------------------------------------------------------

    /** x = [-ln3, 0, ln2, ln3]: sigmoid(+-ln3) = 3/4, 1/4; tanh(ln2) = (2 - 1/2) / (2 + 1/2) = 0.6. */
    private static final float[] KNOWN_X = {(float) -LN3, 0f, (float) LN2, (float) LN3};

    private static double[] knownForward(Activation act) {
        double ln2 = (float) LN2;
        double ln3 = (float) LN3;
        return switch (act) {
            case RELU -> new double[] {0, 0, ln2, ln3};
            case LEAKY_RELU -> new double[] {-ALPHA * ln3, 0, ln2, ln3};
            case SIGMOID -> new double[] {0.25, 0.5, 2.0 / 3, 0.75};
            case TANH -> new double[] {-0.8, 0, 0.6, 0.8};
        };
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void forwardMatchesHandComputedValuesAtAnOffset(Activation act) {
        Shape shape = Shape.of(2, 2);
        Tensor x = OffsetTensors.of(KNOWN_X, shape);
        Tensor y = OffsetTensors.output(shape);
        cpu.activationForward(y, x, act, ALPHA);
        Compare.assertClose(act + " forward", knownForward(act), y.toArray(), 1e-6, 1e-6);
        OffsetTensors.assertNothingWrittenOutside("y", y);
    }

    /** dy = [1, 2, 3, 4] at the known x: relu passes dy where x > 0 (0 at x = 0), sigmoid' = y(1-y), tanh' = 1-y^2. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void backwardMatchesHandComputedValuesAtAnOffset(Activation act) {
        Shape shape = Shape.of(4);
        double[] expected = switch (act) {
            case RELU -> new double[] {0, 0, 3, 4};
            case LEAKY_RELU -> new double[] {ALPHA, 2 * ALPHA, 3, 4};
            case SIGMOID -> new double[] {1 * 0.25 * 0.75, 2 * 0.25, 3 * (2.0 / 9), 4 * 0.75 * 0.25};
            case TANH -> new double[] {1 * 0.36, 2, 3 * 0.64, 4 * 0.36};
        };
        float[] y = new float[4];
        for (int i = 0; i < 4; i++) {
            y[i] = (float) knownForward(act)[i];
        }
        Tensor dx = OffsetTensors.output(shape);
        cpu.activationBackward(dx, OffsetTensors.of(new float[] {1, 2, 3, 4}, shape), OffsetTensors.of(KNOWN_X, shape),
                OffsetTensors.of(y, shape), act, ALPHA);
        Compare.assertClose(act + " backward", expected, dx.toArray(), 1e-6, 1e-6);
        OffsetTensors.assertNothingWrittenOutside("dx", dx);
    }

    @ParameterizedTest
    @EnumSource(Activation.class)
    void backwardPassesTheGradientCheck(Activation act) {
        Shape shape = Shape.of(3, 7);
        int n = (int) shape.size();
        // the ReLUs have a kink at 0: keep inputs further from it than the checker's step
        boolean kinked = act == Activation.RELU || act == Activation.LEAKY_RELU;
        float[] x = kinked ? rng.awayFromZero(n, 0.05f) : rng.uniform(n, -3, 3);
        float[] w = rng.normal(n);
        Tensor xt = Tensor.wrap(x, shape);
        Tensor y = Tensor.zeros(shape);
        Tensor dx = Tensor.zeros(shape);
        cpu.activationForward(y, xt, act, ALPHA);
        cpu.activationBackward(dx, Tensor.wrap(w, shape), xt, y, act, ALPHA);
        GradientChecker.check(act + " backward", x, dx.toArray(), () -> {
            cpu.activationForward(y, xt, act, ALPHA);
            return GradientChecker.weightedSum(w, y.toArray());
        });
    }

    /** In-place layers pass y = x to the forward and dx = dy to the backward. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void inPlaceForwardAndBackwardGiveTheOutOfPlaceResults(Activation act) {
        Shape shape = Shape.of(5, 4);
        int n = (int) shape.size();
        float[] x = rng.awayFromZero(n, 0.01f);
        float[] dy = rng.normal(n);
        Tensor y = Tensor.zeros(shape);
        Tensor dx = Tensor.zeros(shape);
        cpu.activationForward(y, Tensor.wrap(x, shape), act, ALPHA);
        cpu.activationBackward(dx, Tensor.wrap(dy, shape), Tensor.wrap(x, shape), y, act, ALPHA);

        Tensor inPlace = Tensor.wrap(x.clone(), shape);
        Tensor savedX = Tensor.wrap(x.clone(), shape);
        cpu.activationForward(inPlace, inPlace, act, ALPHA);
        assertArrayEquals(y.toArray(), inPlace.toArray(), act + " forward with y = x");
        Tensor grad = Tensor.wrap(dy.clone(), shape);
        cpu.activationBackward(grad, grad, savedX, inPlace, act, ALPHA);
        assertArrayEquals(dx.toArray(), grad.toArray(), act + " backward with dx = dy");
    }

    @Test
    void reluSendsNoGradientThroughZeroAndTheUnusedSavedTensorMayBeNull() {
        Shape shape = Shape.of(3);
        Tensor dx = Tensor.zeros(shape);
        cpu.activationBackward(dx, Tensor.wrap(new float[] {5, 6, 7}, shape), Tensor.wrap(new float[] {0, -0f, 1}, shape),
                null, Activation.RELU, 0);
        assertArrayEquals(new float[] {0, 0, 7}, dx.toArray());
        cpu.activationBackward(dx, Tensor.wrap(new float[] {5, 6, 7}, shape), Tensor.wrap(new float[] {0, -2, 1}, shape),
                null, Activation.LEAKY_RELU, 0.5f);
        assertArrayEquals(new float[] {2.5f, 3, 7}, dx.toArray());
        cpu.activationBackward(dx, Tensor.wrap(new float[] {5, 6, 7}, shape), null,
                Tensor.wrap(new float[] {0, 0.5f, 1}, shape), Activation.TANH, 0);
        assertArrayEquals(new float[] {5, 4.5f, 0}, dx.toArray());
    }

    @Test
    void sigmoidSaturatesWithoutNaN() {
        Tensor y = Tensor.zeros(Shape.of(2));
        cpu.activationForward(y, Tensor.wrap(new float[] {-1000, 1000}, Shape.of(2)), Activation.SIGMOID, 0);
        assertArrayEquals(new float[] {0, 1}, y.toArray());
    }

    @Test
    void mismatchedShapesAreRefusedNamingOpAndShapes() {
        Tensor x = Tensor.zeros(Shape.of(2, 3));
        Tensor wrong = Tensor.zeros(Shape.of(3, 2));
        assertRefusedWith("activationForward: y [3, 2] and x [2, 3] must have the same shape",
                () -> cpu.activationForward(wrong, x, Activation.RELU, 0));
        assertRefusedWith("activationBackward: dy [2, 3] and x [3, 2] must have the same shape",
                () -> cpu.activationBackward(x, x, wrong, x, Activation.LEAKY_RELU, 0.1f));
        assertRefusedWith("activationBackward: dy [2, 3] and y [3, 2] must have the same shape",
                () -> cpu.activationBackward(x, x, x, wrong, Activation.SIGMOID, 0));
        assertRefusedWith("activationBackward: y is null",
                () -> cpu.activationBackward(x, x, x, null, Activation.TANH, 0));
        assertRefusedWith("softmaxForward: y [3, 2] and x [2, 3] must have the same shape",
                () -> cpu.softmaxForward(wrong, x, 1));
        assertRefusedWith("softmaxForward: axis 1 is not an axis of x [6] (0 to 0)",
                () -> cpu.softmaxForward(Tensor.zeros(Shape.of(6)), Tensor.zeros(Shape.of(6)), 1));
        assertRefusedWith("logSoftmaxForward: axis -1 is not an axis of x [2, 3] (0 to 1)",
                () -> cpu.logSoftmaxForward(x, x, -1));
        assertRefusedWith("logSoftmaxForward: axis 1 of x [2, 0] is empty",
                () -> cpu.logSoftmaxForward(Tensor.zeros(Shape.of(2, 0)), Tensor.zeros(Shape.of(2, 0)), 1));
        assertRefusedWith("softmaxBackward: dx [3, 2] and dy [2, 3] must have the same shape",
                () -> cpu.softmaxBackward(wrong, x, x, 0));
        assertRefusedWith("logSoftmaxBackward: dy [3, 2] and y [2, 3] must have the same shape",
                () -> cpu.logSoftmaxBackward(x, wrong, x, 1));
        assertRefusedWith("softmaxBackward: axis 2 is not an axis of y [2, 3] (0 to 1)",
                () -> cpu.softmaxBackward(x, x, x, 2));
    }

    // ---- softmax and log-softmax -------------------------------------------------------------------------------

    /** Rows [0, ln2] and [1000, 1000 + ln2] (which overflows without the max subtraction): both [1/3, 2/3]. */
    @Test
    void softmaxOfKnownRowsAtAnOffset() {
        Shape shape = Shape.of(3, 2);
        Tensor x = OffsetTensors.of(new float[] {0, (float) LN2, 1000, 1000 + (float) LN2, -5, -5}, shape);
        Tensor y = OffsetTensors.output(shape);
        cpu.softmaxForward(y, x, 1);
        // 1000 + ln2 rounds in float32 to within 3e-5 of it, hence the wider tolerance on that row
        Compare.assertClose("softmax", new double[] {1.0 / 3, 2.0 / 3, 1.0 / 3, 2.0 / 3, 0.5, 0.5}, y.toArray(), 2e-5, 0);
        OffsetTensors.assertNothingWrittenOutside("y", y);

        Tensor logY = OffsetTensors.output(shape);
        cpu.logSoftmaxForward(logY, x, 1);
        double third = Math.log(1.0 / 3);
        double twoThirds = Math.log(2.0 / 3);
        Compare.assertClose("log-softmax", new double[] {third, twoThirds, third, twoThirds, -LN2, -LN2},
                logY.toArray(), 5e-5, 1e-6);
        OffsetTensors.assertNothingWrittenOutside("logY", logY);
    }

    @Test
    void softmaxRowsSumToOneAndLogSoftmaxIsItsLog() {
        Shape shape = Shape.of(6, 9);
        Tensor x = Tensor.wrap(rng.uniform(54, -20, 20), shape);
        Tensor y = Tensor.zeros(shape);
        Tensor logY = Tensor.zeros(shape);
        cpu.softmaxForward(y, x, 1);
        cpu.logSoftmaxForward(logY, x, 1);
        float[] p = y.toArray();
        float[] lp = logY.toArray();
        double[] expLogY = new double[lp.length];
        for (int r = 0; r < 6; r++) {
            double sum = 0;
            for (int j = 0; j < 9; j++) {
                sum += p[r * 9 + j];
                expLogY[r * 9 + j] = Math.exp(lp[r * 9 + j]);
            }
            assertTrue(Math.abs(sum - 1) < 1e-6, "row " + r + " sums to " + sum);
        }
        Compare.assertClose("exp(log-softmax) vs softmax", expLogY, p, 1e-7, 1e-5);
    }

    /** The last axis, the channels of NCHW, a middle axis and the first axis. */
    @ParameterizedTest
    @CsvSource({"4:5, 1", "2:3:2:2, 1", "2:4:3, 1", "3:4, 0", "2:3:4, 2"})
    void softmaxAndLogSoftmaxBackwardsPassTheGradientCheck(String dims, int axis) {
        Shape shape = shapeOf(dims);
        int n = (int) shape.size();
        float[] x = rng.uniform(n, -2, 2);
        float[] w = rng.normal(n);
        Tensor xt = Tensor.wrap(x, shape);
        Tensor y = Tensor.zeros(shape);
        Tensor dx = Tensor.zeros(shape);
        cpu.softmaxForward(y, xt, axis);
        cpu.softmaxBackward(dx, Tensor.wrap(w, shape), y, axis);
        GradientChecker.check("softmax backward over axis " + axis + " of " + shape, x, dx.toArray(), () -> {
            cpu.softmaxForward(y, xt, axis);
            return GradientChecker.weightedSum(w, y.toArray());
        });
        cpu.logSoftmaxForward(y, xt, axis);
        cpu.logSoftmaxBackward(dx, Tensor.wrap(w, shape), y, axis);
        GradientChecker.check("log-softmax backward over axis " + axis + " of " + shape, x, dx.toArray(), () -> {
            cpu.logSoftmaxForward(y, xt, axis);
            return GradientChecker.weightedSum(w, y.toArray());
        });
    }

    /**
     * Over the channels of x [2, 3, 2, 2] at an offset: each of the 2 x 4 lines of 3 channels (stride 4) is the
     * last-axis softmax of that line gathered into a row, bit for bit (the same sums in the same order), forward and
     * backward, and nothing outside the tensors is written. The last channel lies 1000 above the others, so the
     * maximum subtracted before exp must be the line's own (exp(1000) overflows).
     */
    @Test
    void softmaxOverChannelsIsTheLastAxisSoftmaxOfEachGatheredLine() {
        Shape nchw = Shape.of(2, 3, 2, 2);
        float[] x = rng.uniform(24, -3, 3);
        for (int n = 0; n < 2; n++) {
            for (int p = 0; p < 4; p++) {
                x[(n * 3 + 2) * 4 + p] += 1000;
            }
        }
        float[] dy = rng.uniform(24, -1, 1);
        for (boolean log : new boolean[] {false, true}) {
            Tensor y = OffsetTensors.output(nchw);
            Tensor dx = OffsetTensors.output(nchw);
            Tensor rowsY = Tensor.zeros(Shape.of(8, 3));
            Tensor rowsDx = Tensor.zeros(Shape.of(8, 3));
            if (log) {
                cpu.logSoftmaxForward(y, OffsetTensors.of(x, nchw), 1);
                cpu.logSoftmaxBackward(dx, OffsetTensors.of(dy, nchw), y, 1);
                cpu.logSoftmaxForward(rowsY, Tensor.wrap(channelsLast(x), Shape.of(8, 3)), 1);
                cpu.logSoftmaxBackward(rowsDx, Tensor.wrap(channelsLast(dy), Shape.of(8, 3)), rowsY, 1);
            } else {
                cpu.softmaxForward(y, OffsetTensors.of(x, nchw), 1);
                cpu.softmaxBackward(dx, OffsetTensors.of(dy, nchw), y, 1);
                cpu.softmaxForward(rowsY, Tensor.wrap(channelsLast(x), Shape.of(8, 3)), 1);
                cpu.softmaxBackward(rowsDx, Tensor.wrap(channelsLast(dy), Shape.of(8, 3)), rowsY, 1);
            }
            assertArrayEquals(rowsY.toArray(), channelsLast(y.toArray()), log ? "log-softmax" : "softmax");
            assertArrayEquals(rowsDx.toArray(), channelsLast(dx.toArray()), log ? "log-softmax dx" : "softmax dx");
            OffsetTensors.assertNothingWrittenOutside("y", y);
            OffsetTensors.assertNothingWrittenOutside("dx", dx);
        }
    }

    /** [2, 3, 2, 2] NCHW to [2, 2, 2, 3] NHWC, flat. */
    private static float[] channelsLast(float[] nchw) {
        float[] nhwc = new float[nchw.length];
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < 4; p++) {
                    nhwc[(n * 4 + p) * 3 + c] = nchw[(n * 3 + c) * 4 + p];
                }
            }
        }
        return nhwc;
    }

    private static Shape shapeOf(String dims) {
        return Shape.of(Arrays.stream(dims.split(":")).mapToInt(Integer::parseInt).toArray());
    }

    /**
     * Softmax: y = [1/4, 3/4], dy = [1, 3]: sum(dy*y) = 5/2, dx = [1/4 * -3/2, 3/4 * 1/2].
     * Log-softmax: exp(y) = [1/4, 3/4], dy = [1, 2]: dx = dy - exp(y) * 3 = [1/4, -1/4].
     */
    @Test
    void softmaxBackwardsOfKnownValuesAtAnOffsetAndInPlace() {
        Shape shape = Shape.of(1, 2);
        Tensor y = OffsetTensors.of(new float[] {0.25f, 0.75f}, shape);
        Tensor dx = OffsetTensors.output(shape);
        cpu.softmaxBackward(dx, OffsetTensors.of(new float[] {1, 3}, shape), y, 1);
        Compare.assertClose("softmax backward", new double[] {-0.375, 0.375}, dx.toArray(), 1e-7, 0);
        OffsetTensors.assertNothingWrittenOutside("dx", dx);

        Tensor logY = OffsetTensors.of(new float[] {(float) Math.log(0.25), (float) Math.log(0.75)}, shape);
        Tensor grad = OffsetTensors.of(new float[] {1, 2}, shape);
        cpu.logSoftmaxBackward(grad, grad, logY, 1);
        Compare.assertClose("log-softmax backward with dx = dy", new double[] {0.25, -0.25}, grad.toArray(), 1e-6, 0);
        OffsetTensors.assertNothingWrittenOutside("grad", grad);
    }
}
