package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedBy;
import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The fused epilogue (biasActivationForward/Backward, gemmBiasActivation) against the ops it replaces, biasAdd +
 * activationForward, activationBackward + biasGrad, gemm + epilogue: the same bits on both CPU backends, Dense-like
 * [n, c] and NCHW shapes, with and without a bias, in place; its backward passes the gradient check for z and the
 * bias.
 */
class BiasActivationTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final float ALPHA = 0.2f;
    private static final Shape[] SHAPES = {Shape.of(5, 7), Shape.of(3, 4, 5, 6)};

    private final CpuBackend cpu = new CpuBackend();

    @ParameterizedTest
    @EnumSource(Activation.class)
    void forwardGivesTheBitsOfBiasAddThenActivation(Activation act) {
        for (Backend backend : new Backend[] {cpu, new FastCpuBackend()}) {
            for (Shape shape : SHAPES) {
                for (boolean withBias : new boolean[] {true, false}) {
                    float[] z = rng.uniform((int) shape.size(), -3, 3);
                    z[0] = -0f;  // without a bias, kept: tanh and the leaky ReLU give -0 for it, as unfused
                    Tensor bias = withBias ? OffsetTensors.of(rng.uniform(shape.dim(1), -1, 1), Shape.of(shape.dim(1)))
                            : null;
                    Tensor unfused = Tensor.wrap(z.clone(), shape);
                    if (bias != null) {
                        cpu.biasAdd(unfused, bias);
                    }
                    cpu.activationForward(unfused, unfused, act, ALPHA);

                    Tensor y = OffsetTensors.output(shape);
                    backend.biasActivationForward(y, OffsetTensors.of(z, shape), bias, act, ALPHA);
                    assertArrayEquals(unfused.toArray(), y.toArray(), act + " " + shape + " bias " + withBias);
                    OffsetTensors.assertNothingWrittenOutside("y", y);

                    Tensor inPlace = OffsetTensors.of(z, shape);
                    backend.biasActivationForward(inPlace, inPlace, bias, act, ALPHA);
                    assertArrayEquals(unfused.toArray(), inPlace.toArray(), act + " in place");
                }
            }
        }
    }

    /** The unfused backward reads z for the ReLUs; the fused one reads y: the same bits, also for the bias sums. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void backwardGivesTheBitsOfActivationBackwardThenBiasGrad(Activation act) {
        for (Backend backend : new Backend[] {cpu, new FastCpuBackend()}) {
            for (Shape shape : SHAPES) {
                int c = shape.dim(1);
                float[] z = withZeros(rng.uniform((int) shape.size(), -3, 3));
                float[] dy = rng.uniform(z.length, -1, 1);
                Tensor zt = Tensor.wrap(z, shape);
                Tensor y = Tensor.zeros(shape);
                cpu.activationForward(y, zt, act, ALPHA);
                Tensor dzRef = Tensor.zeros(shape);
                Tensor dBiasRef = Tensor.zeros(Shape.of(c));
                cpu.activationBackward(dzRef, Tensor.wrap(dy, shape), zt, y, act, ALPHA);
                cpu.biasGrad(dBiasRef, dzRef);

                Tensor dz = OffsetTensors.output(shape);
                Tensor dBias = OffsetTensors.output(Shape.of(c));
                backend.biasActivationBackward(dz, dBias, OffsetTensors.of(dy, shape), OffsetTensors.of(y.toArray(), shape),
                        act, ALPHA);
                assertArrayEquals(dzRef.toArray(), dz.toArray(), act + " dz " + shape);
                assertArrayEquals(dBiasRef.toArray(), dBias.toArray(), act + " dBias " + shape);
                OffsetTensors.assertNothingWrittenOutside("dz", dz);
                OffsetTensors.assertNothingWrittenOutside("dBias", dBias);

                Tensor inPlace = OffsetTensors.of(dy, shape);
                backend.biasActivationBackward(inPlace, null, inPlace, y, act, ALPHA);
                assertArrayEquals(dzRef.toArray(), inPlace.toArray(), act + " in place, no bias");
            }
        }
    }

    /** Large enough that FastCpuBackend runs its parallel slices. */
    @Test
    void fastCpuBackendGivesTheReferenceBitsOnALargeConvOutput() {
        Shape shape = Shape.of(8, 32, 26, 26);
        float[] z = rng.uniform((int) shape.size(), -2, 2);
        float[] b = rng.uniform(32, -1, 1);
        float[] dy = rng.uniform(z.length, -1, 1);
        FastCpuBackend fast = new FastCpuBackend();
        Tensor yRef = Tensor.zeros(shape);
        Tensor y = Tensor.zeros(shape);
        cpu.biasActivationForward(yRef, Tensor.wrap(z, shape), Tensor.wrap(b, Shape.of(32)), Activation.RELU, 0);
        fast.biasActivationForward(y, Tensor.wrap(z, shape), Tensor.wrap(b, Shape.of(32)), Activation.RELU, 0);
        assertArrayEquals(yRef.toArray(), y.toArray());
        Tensor dzRef = Tensor.zeros(shape);
        Tensor dz = Tensor.zeros(shape);
        Tensor dbRef = Tensor.zeros(Shape.of(32));
        Tensor db = Tensor.zeros(Shape.of(32));
        cpu.biasActivationBackward(dzRef, dbRef, Tensor.wrap(dy, shape), yRef, Activation.RELU, 0);
        fast.biasActivationBackward(dz, db, Tensor.wrap(dy, shape), y, Activation.RELU, 0);
        assertArrayEquals(dzRef.toArray(), dz.toArray());
        assertArrayEquals(dbRef.toArray(), db.toArray());
    }

    /** L = sum(w * act(z + bias)); the ReLUs' z + bias kept further from their kink than the checker's step. */
    @ParameterizedTest
    @EnumSource(Activation.class)
    void backwardPassesTheGradientCheckForZAndTheBias(Activation act) {
        Shape shape = Shape.of(3, 4, 2, 3);
        int n = (int) shape.size();
        int c = shape.dim(1);
        int inner = (int) shape.sizeFrom(2);
        boolean kinked = act == Activation.RELU || act == Activation.LEAKY_RELU;
        float[] b = rng.uniform(c, -0.5f, 0.5f);
        float[] pre = kinked ? rng.awayFromZero(n, 0.1f) : rng.uniform(n, -3, 3);
        float[] z = new float[n];
        for (int i = 0; i < n; i++) {
            z[i] = pre[i] - b[i / inner % c];
        }
        float[] w = rng.normal(n);
        Tensor zt = Tensor.wrap(z, shape);
        Tensor bt = Tensor.wrap(b, Shape.of(c));
        Tensor y = Tensor.zeros(shape);
        Tensor dz = Tensor.zeros(shape);
        Tensor db = Tensor.zeros(Shape.of(c));
        cpu.biasActivationForward(y, zt, bt, act, ALPHA);
        cpu.biasActivationBackward(dz, db, Tensor.wrap(w, shape), y, act, ALPHA);
        java.util.function.DoubleSupplier loss = () -> {
            cpu.biasActivationForward(y, zt, bt, act, ALPHA);
            return GradientChecker.weightedSum(w, y.toArray());
        };
        GradientChecker.check(act + " dz", z, dz.toArray(), loss);
        GradientChecker.check(act + " dBias", b, db.toArray(), loss);
    }

    @Test
    void refusesMismatchedShapesAndANegativeLeakySlope() {
        Tensor y = Tensor.zeros(Shape.of(4, 3));
        Tensor other = Tensor.zeros(Shape.of(3, 4));
        Tensor bias3 = Tensor.zeros(Shape.of(3));
        assertRefusedWith("biasActivationForward: y [4, 3] and z [3, 4] must have the same shape",
                () -> cpu.biasActivationForward(y, other, bias3, Activation.RELU, 0));
        assertRefusedWith("biasActivationForward: bias [4] does not match axis 1 of [4, 3]",
                () -> cpu.biasActivationForward(y, y, Tensor.zeros(Shape.of(4)), Activation.RELU, 0));
        assertRefusedBy("biasActivationForward", () -> cpu.biasActivationForward(y, y, bias3, Activation.LEAKY_RELU,
                -0.5f), "leaky_relu's slope must be >= 0", "-0.5");
        assertRefusedWith("biasActivationBackward: dz [3, 4] and dy [4, 3] must have the same shape",
                () -> cpu.biasActivationBackward(other, bias3, y, y, Activation.TANH, 0));
        assertRefusedWith("biasActivationBackward: dy [4, 3] and y [3, 4] must have the same shape",
                () -> cpu.biasActivationBackward(y, bias3, y, other, Activation.TANH, 0));
        assertRefusedBy("biasActivationForward", () -> cpu.biasActivationForward(Tensor.zeros(Shape.of(3)),
                Tensor.zeros(Shape.of(3)), null, Activation.TANH, 0), "y must have rank >= 2");
    }

    /** A Dense forward in one op: the bits of gemm then the epilogue op, on each CPU backend with its own gemm. */
    @Test
    void gemmBiasActivationGivesTheBitsOfGemmThenTheEpilogue() {
        Activation[] acts = {Activation.RELU, Activation.LEAKY_RELU, Activation.SIGMOID, Activation.TANH, null};
        for (Backend backend : new Backend[] {cpu, new FastCpuBackend()}) {
            for (Activation act : acts) {
                for (boolean withBias : new boolean[] {true, false}) {
                    int m = 37;
                    int n = 19;
                    int k = 23;
                    Tensor a = OffsetTensors.of(rng.uniform(m * k, -1, 1), Shape.of(m, k));
                    Tensor b = OffsetTensors.of(rng.uniform(k * n, -1, 1), Shape.of(k, n));
                    Tensor bias = withBias ? OffsetTensors.of(rng.uniform(n, -1, 1), Shape.of(n)) : null;
                    Tensor expected = Tensor.zeros(Shape.of(m, n));
                    backend.gemm(expected, a, false, b, false, 1f, 0f);
                    if (act != null) {
                        backend.biasActivationForward(expected, expected, bias, act, ALPHA);
                    } else if (bias != null) {
                        backend.biasAdd(expected, bias);
                    }
                    Tensor c = OffsetTensors.output(Shape.of(m, n));
                    backend.gemmBiasActivation(c, a, b, bias, act, ALPHA);
                    assertArrayEquals(expected.toArray(), c.toArray(), backend.name() + " " + act + " bias " + withBias);
                    OffsetTensors.assertNothingWrittenOutside("c", c);
                }
            }
        }
    }

    @Test
    void gemmBiasActivationRefusesWhatGemmAndTheEpilogueRefuse() {
        Tensor a = Tensor.zeros(Shape.of(4, 3));
        Tensor b = Tensor.zeros(Shape.of(3, 5));
        Tensor c = Tensor.zeros(Shape.of(4, 5));
        for (Backend backend : new Backend[] {cpu, new FastCpuBackend()}) {
            assertRefusedBy("gemmBiasActivation", () -> backend.gemmBiasActivation(c, b, a, null, null, 0),
                    "inner dimensions differ");
            assertRefusedWith("gemmBiasActivation: bias [4] does not match axis 1 of [4, 5]",
                    () -> backend.gemmBiasActivation(c, a, b, Tensor.zeros(Shape.of(4)), Activation.RELU, 0));
            assertRefusedBy("gemmBiasActivation", () -> backend.gemmBiasActivation(c, a, b, null,
                    Activation.LEAKY_RELU, -1), "slope must be >= 0");
        }
    }

    /** Exact zeros where the ReLUs' derivative is a convention (0 at z == 0). */
    private float[] withZeros(float[] z) {
        for (int i = 0; i < z.length; i += 1 + rng.nextInt(5)) {
            z[i] = 0f;
        }
        return z;
    }
}
