package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OptimizersTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend cpu = new CpuBackend();

    /** Step {@code t}'s scalars with learning rate {@code lr}, at an offset in their storage. */
    private static Tensor step(float lr, long t) {
        return OffsetTensors.of(StepScalars.of(lr, t, 0), StepScalars.shape());
    }

    /** Runs {@code steps} SGD steps on one parameter starting at 1 with gradient 1 each step; returns each p. */
    private float[] sgdTrajectory(float lr, SgdSettings settings, int steps) {
        Tensor p = OffsetTensors.of(new float[] {1}, Shape.of(1));
        Tensor v = OffsetTensors.of(new float[] {0}, Shape.of(1));
        Tensor g = OffsetTensors.of(new float[] {1}, Shape.of(1));
        float[] trajectory = new float[steps];
        for (int t = 0; t < steps; t++) {
            cpu.sgdUpdate(p, g, settings.momentum() == 0 ? null : v, step(lr, t + 1), settings);
            trajectory[t] = p.toArray()[0];
        }
        OffsetTensors.assertNothingWrittenOutside("p", p);
        OffsetTensors.assertNothingWrittenOutside("v", v);
        return trajectory;
    }

    @Test
    void sgdStepsComputedByHand() {
        // lr 0.1, no momentum: p = 1 - 0.1; with weight decay 0.5 the gradient is 1 + 0.5 p
        assertArrayEquals(new float[] {0.9f, 0.8f}, sgdTrajectory(0.1f, new SgdSettings(0, false, 0, false), 2), 1e-7f);
        assertArrayEquals(new float[] {0.85f, 0.7075f}, sgdTrajectory(0.1f, new SgdSettings(0, false, 0.5f, false), 2),
                1e-7f);
        // momentum 0.9: v = 1, 1.9, 2.71; p = 1 - 0.1, - 0.19, - 0.271
        assertArrayEquals(new float[] {0.9f, 0.71f, 0.439f},
                sgdTrajectory(0.1f, new SgdSettings(0.9f, false, 0, false), 3), 1e-6f);
        // nesterov: p -= 0.1 * (1 + 0.9 v) = 0.19, 0.271, 0.3439
        assertArrayEquals(new float[] {0.81f, 0.539f, 0.1951f},
                sgdTrajectory(0.1f, new SgdSettings(0.9f, true, 0, false), 3), 1e-6f);
        // momentum 0.9 and weight decay 0.5: g = 1.5, v = 1.5, p = 0.85; g = 1.425, v = 2.775, p = 0.5725
        assertArrayEquals(new float[] {0.85f, 0.5725f}, sgdTrajectory(0.1f, new SgdSettings(0.9f, false, 0.5f, false), 2),
                1e-6f);
        // decoupled: p *= 1 - 0.1 * 0.5 first, then the momentum step on g = 1: p = 0.95 - 0.1 = 0.85, then
        // p = 0.85 * 0.95 - 0.1 * 1.9 = 0.6175 (without momentum decoupled decay and L2 decay are the same step)
        assertArrayEquals(new float[] {0.85f, 0.6175f}, sgdTrajectory(0.1f, new SgdSettings(0.9f, false, 0.5f, true), 2),
                1e-6f);
        assertArrayEquals(new float[] {0.85f, 0.7075f}, sgdTrajectory(0.1f, new SgdSettings(0, false, 0.5f, true), 2),
                1e-7f);
    }

    /** Three steps on fresh random gradients against PyTorch's (L2) and Keras 3's (decoupled) formulas in double. */
    @ParameterizedTest
    @CsvSource({"0, false, 0, false", "0, false, 0.01, false", "0.9, false, 0, false", "0.9, true, 0.01, false",
        "0.5, false, 0.1, false", "0.9, false, 0.1, true", "0.9, true, 0.01, true"})
    void sgdMatchesAReferenceInDoubleOverThreeSteps(float momentum, boolean nesterov, float weightDecay,
                                                     boolean decoupled) {
        int n = 23;
        float lr = 0.05f;
        SgdSettings settings = new SgdSettings(momentum, nesterov, weightDecay, decoupled);
        float[] p0 = rng.normal(n);
        Tensor param = OffsetTensors.of(p0, Shape.of(n));
        Tensor velocity = OffsetTensors.of(new float[n], Shape.of(n));
        double[] p = toDouble(p0);
        double[] v = new double[n];
        for (int t = 0; t < 3; t++) {
            float[] grad = rng.normal(n);
            cpu.sgdUpdate(param, OffsetTensors.of(grad, Shape.of(n)), velocity, step(lr, t + 1), settings);
            for (int i = 0; i < n; i++) {
                double g = weightDecay(p, i, grad[i], lr, weightDecay, decoupled);
                if (momentum != 0) {
                    v[i] = momentum * v[i] + g;
                    g = nesterov ? g + momentum * v[i] : v[i];
                }
                p[i] -= (double) lr * g;
            }
            Compare.assertClose("param after step " + (t + 1), p, param.toArray(), 1e-6, 1e-6);
            if (momentum != 0) {
                Compare.assertClose("velocity after step " + (t + 1), v, velocity.toArray(), 1e-6, 1e-6);
            }
        }
        OffsetTensors.assertNothingWrittenOutside("param", param);
        OffsetTensors.assertNothingWrittenOutside("velocity", velocity);
    }

    @Test
    void sgdWithoutMomentumLeavesAGivenVelocityAlone() {
        Tensor velocity = Tensor.wrap(new float[] {3, 4}, Shape.of(2));
        Tensor param = Tensor.wrap(new float[] {1, 1}, Shape.of(2));
        cpu.sgdUpdate(param, Tensor.wrap(new float[] {1, -1}, Shape.of(2)), velocity, step(0.5f, 1),
                new SgdSettings(0, false, 0, false));
        assertArrayEquals(new float[] {0.5f, 1.5f}, param.toArray());
        assertArrayEquals(new float[] {3, 4}, velocity.toArray());
    }

    /** At t = 1 the bias-corrected moments are g and g^2, so the update is lr * g / (|g| + eps): lr * sign(g). */
    @Test
    void adamFirstStepIsLrTimesTheSignOfTheGradient() {
        float[] g = {0.5f, -2f, 1e-3f, 0f};
        Tensor param = OffsetTensors.of(new float[] {1, 1, 1, 1}, Shape.of(4));
        Tensor m = OffsetTensors.of(new float[4], Shape.of(4));
        Tensor v = OffsetTensors.of(new float[4], Shape.of(4));
        cpu.adamUpdate(param, OffsetTensors.of(g, Shape.of(4)), m, v, step(0.01f, 1),
                new AdamSettings(0.9f, 0.999f, 1e-8f, AdamEpsilon.PYTORCH, 0, false));
        double[] expected = new double[4];
        for (int i = 0; i < 4; i++) {
            expected[i] = 1 - 0.01 * g[i] / (Math.abs((double) g[i]) + 1e-8);
        }
        assertEquals(0.99, expected[0], 1e-9); // the sign: -0.01, +0.01, about -0.01, 0
        assertEquals(1.01, expected[1], 1e-9);
        Compare.assertClose("param", expected, param.toArray(), 1e-7, 0);
        Compare.assertClose("m = (1 - beta1) g", new double[] {0.05, -0.2, 1e-4, 0}, m.toArray(), 1e-8, 1e-6);
        Compare.assertClose("v = (1 - beta2) g^2", new double[] {0.00025, 0.004, 1e-9, 0}, v.toArray(), 1e-12, 1e-4);
        OffsetTensors.assertNothingWrittenOutside("param", param);
        OffsetTensors.assertNothingWrittenOutside("m", m);
        OffsetTensors.assertNothingWrittenOutside("v", v);
    }

    /** p = 2, g = 0.5, lr = 0.1, decay 0.1: Adam adds 0.2 to g (update still 0.1), AdamW shrinks p by 1%. */
    @Test
    void adamWDecaysTheWeightsWhileAdamDecaysTheGradient() {
        double eps = 1e-8;
        assertEquals(2 - 0.1 * 0.7 / (0.7 + eps), adamOneParameter(false), 1e-7);
        assertEquals(2 * (1 - 0.1 * (double) 0.1f) - 0.1 * 0.5 / (0.5 + eps), adamOneParameter(true), 1e-7);
    }

    private float adamOneParameter(boolean decoupled) {
        Tensor param = Tensor.wrap(new float[] {2}, Shape.of(1));
        cpu.adamUpdate(param, Tensor.wrap(new float[] {0.5f}, Shape.of(1)), Tensor.zeros(Shape.of(1)),
                Tensor.zeros(Shape.of(1)), step(0.1f, 1),
                new AdamSettings(0.9f, 0.999f, 1e-8f, AdamEpsilon.PYTORCH, 0.1f, decoupled));
        return param.toArray()[0];
    }

    /**
     * At t = 1, m = (1 - b1) g and v = (1 - b2) g^2. PyTorch: lr * g / (|g| + eps). Keras: lr * sqrt(1 - b2) / (1 - b1)
     * * (1 - b1) g / (sqrt(1 - b2) |g| + eps) = lr * g / (|g| + eps / sqrt(1 - b2)): its epsilon acts 1/sqrt(0.001) =
     * 31.6 times larger. With g = 0.5 and eps = 0.1 the updates are 0.1 * 0.5/0.6 and 0.1 * 0.5/3.662.
     */
    @Test
    void theEpsilonPlacementsDifferByTheSecondBiasCorrection() {
        double kerasEpsilon = 0.1f / Math.sqrt(1 - (double) 0.999f);
        assertEquals(2 - 0.1 * 0.5 / (0.5 + (double) 0.1f), adamFirstStep(AdamEpsilon.PYTORCH), 1e-7);
        assertEquals(2 - 0.1 * 0.5 / (0.5 + kerasEpsilon), adamFirstStep(AdamEpsilon.KERAS), 1e-7);
        assertEquals(3.662, 0.5 + kerasEpsilon, 1e-3);
    }

    private float adamFirstStep(AdamEpsilon placement) {
        Tensor param = OffsetTensors.of(new float[] {2}, Shape.of(1));
        cpu.adamUpdate(param, Tensor.wrap(new float[] {0.5f}, Shape.of(1)), Tensor.zeros(Shape.of(1)),
                Tensor.zeros(Shape.of(1)), step(0.1f, 1), new AdamSettings(0.9f, 0.999f, 0.1f, placement, 0, false));
        OffsetTensors.assertNothingWrittenOutside("param", param);
        return param.toArray()[0];
    }

    /** Three steps on fresh random gradients against Adam/AdamW with either epsilon placement, in double. */
    @ParameterizedTest
    @CsvSource({"0, false, PYTORCH", "0.01, false, PYTORCH", "0.01, true, PYTORCH", "0, false, KERAS",
        "0.01, false, KERAS", "0.01, true, KERAS"})
    void adamMatchesAReferenceInDoubleOverThreeSteps(float weightDecay, boolean decoupled, AdamEpsilon placement) {
        int n = 19;
        float lr = 0.01f;
        float beta1 = 0.9f;
        float beta2 = 0.999f;
        float epsilon = 1e-8f;
        float[] p0 = rng.normal(n);
        Tensor param = OffsetTensors.of(p0, Shape.of(n));
        Tensor m = OffsetTensors.of(new float[n], Shape.of(n));
        Tensor v = OffsetTensors.of(new float[n], Shape.of(n));
        double[] p = toDouble(p0);
        double[] mr = new double[n];
        double[] vr = new double[n];
        for (int t = 1; t <= 3; t++) {
            float[] grad = rng.normal(n);
            cpu.adamUpdate(param, OffsetTensors.of(grad, Shape.of(n)), m, v, step(lr, t),
                    new AdamSettings(beta1, beta2, epsilon, placement, weightDecay, decoupled));
            for (int i = 0; i < n; i++) {
                double g = weightDecay(p, i, grad[i], lr, weightDecay, decoupled);
                mr[i] = beta1 * mr[i] + (1 - (double) beta1) * g;
                vr[i] = beta2 * vr[i] + (1 - (double) beta2) * g * g;
                double correction1 = 1 - Math.pow(beta1, t);
                double correction2 = 1 - Math.pow(beta2, t);
                p[i] -= placement == AdamEpsilon.PYTORCH
                        ? lr * (mr[i] / correction1) / (Math.sqrt(vr[i] / correction2) + epsilon)
                        : lr * Math.sqrt(correction2) / correction1 * mr[i] / (Math.sqrt(vr[i]) + epsilon);
            }
            Compare.assertClose("param after step " + t, p, param.toArray(), 1e-6, 1e-6);
            Compare.assertClose("m after step " + t, mr, m.toArray(), 1e-7, 1e-5);
            Compare.assertClose("v after step " + t, vr, v.toArray(), 1e-9, 1e-5);
        }
        OffsetTensors.assertNothingWrittenOutside("param", param);
        OffsetTensors.assertNothingWrittenOutside("m", m);
        OffsetTensors.assertNothingWrittenOutside("v", v);
    }

    @Test
    void mismatchedSizesAndAMissingVelocityAreRefused() {
        Tensor p = Tensor.zeros(Shape.of(4));
        Tensor wrong = Tensor.zeros(Shape.of(5));
        Tensor s = step(0.1f, 1);
        SgdSettings momentum = new SgdSettings(0.9f, false, 0, false);
        assertRefusedWith("sgdUpdate: velocity is null but momentum is 0.9; only momentum 0 runs without a velocity"
                + " tensor", () -> cpu.sgdUpdate(p, p, null, s, momentum));
        assertRefusedWith("sgdUpdate: param [4] and grad [5] must have the same number of elements",
                () -> cpu.sgdUpdate(p, wrong, p, s, momentum));
        assertRefusedWith("sgdUpdate: param [4] and velocity [5] must have the same number of elements",
                () -> cpu.sgdUpdate(p, p, wrong, s, momentum));
        assertRefusedWith("sgdUpdate: step has shape [4], expected [8]", () -> cpu.sgdUpdate(p, p, p, p, momentum));
        AdamSettings adam = new AdamSettings(0.9f, 0.999f, 1e-8f, AdamEpsilon.KERAS, 0, false);
        assertRefusedWith("adamUpdate: param [4] and grad [5] must have the same number of elements",
                () -> cpu.adamUpdate(p, wrong, p, p, s, adam));
        assertRefusedWith("adamUpdate: param [4] and m [5] must have the same number of elements",
                () -> cpu.adamUpdate(p, p, wrong, p, s, adam));
        assertRefusedWith("adamUpdate: param [4] and v [5] must have the same number of elements",
                () -> cpu.adamUpdate(p, p, p, wrong, s, adam));
        assertRefusedWith("adamUpdate: m is null", () -> cpu.adamUpdate(p, p, null, p, s, adam));
        assertRefusedWith("adamUpdate: step is null", () -> cpu.adamUpdate(p, p, p, p, null, adam));
        assertRefusedWith("adamUpdate: the step scalars hold step 0; Adam counts steps from 1",
                () -> cpu.adamUpdate(p, p, p, p, step(0.1f, 0), adam));
    }

    @Test
    void badSettingsAreRefusedWithTheirValues() {
        assertRefusedWith("sgd: momentum and weight decay must be non-negative: momentum=-0.1 weightDecay=0.0",
                () -> new SgdSettings(-0.1f, false, 0, false));
        assertRefusedWith("sgd: momentum and weight decay must be non-negative: momentum=0.9 weightDecay=-1.0",
                () -> new SgdSettings(0.9f, false, -1, true));
        assertRefusedWith("sgd: nesterov needs momentum > 0", () -> new SgdSettings(0, true, 0, false));
        assertRefusedWith("adam: need 0 <= beta < 1, epsilon > 0, weightDecay >= 0: beta1=1.0 beta2=0.999"
                + " epsilon=1.0E-8 weightDecay=0.0",
                () -> new AdamSettings(1, 0.999f, 1e-8f, AdamEpsilon.KERAS, 0, false));
        assertRefusedWith("adam: need 0 <= beta < 1, epsilon > 0, weightDecay >= 0: beta1=0.9 beta2=0.999"
                + " epsilon=0.0 weightDecay=0.0",
                () -> new AdamSettings(0.9f, 0.999f, 0, AdamEpsilon.KERAS, 0, false));
        assertRefusedWith("adam: epsilonPlacement is null; expected KERAS or PYTORCH",
                () -> new AdamSettings(0.9f, 0.999f, 1e-8f, null, 0, false));
    }

    /** Weight decay in double as both optimizers apply it: decoupled shrinks p[i], L2 adds to the gradient. */
    private static double weightDecay(double[] p, int i, float grad, float lr, float weightDecay, boolean decoupled) {
        if (decoupled) {
            p[i] *= 1 - (double) lr * weightDecay;
            return grad;
        }
        return grad + (double) weightDecay * p[i];
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }
}
