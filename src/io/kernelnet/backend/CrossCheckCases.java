package io.kernelnet.backend;

import static io.kernelnet.backend.ActivationCases.softmaxLines;
import static io.kernelnet.backend.GemmCases.gemm;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.backend.Numerics.GemmPrecision;
import io.kernelnet.tensor.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The cases {@link CrossCheck} runs ({@code kernelnet selftest} and the GPU tests): every op the CUDA backend
 * implements, at sizes that reach the kernels' edges (1, odd sizes, more rows than one block, more elements than one
 * grid-stride wave, empty tensors), with inputs drawn from each case's seed. This class lists them in order and
 * holds the memory, bias and misaligned cases and the input helpers; each op family's cases are in a class of their
 * own ({@link GemmCases}, {@link ConvPoolCases}, {@link ActivationCases}, {@link LossCases},
 * {@link StepScalarCases}). Bounds are explained on {@link CrossCheck}.
 */
final class CrossCheckCases {
    /** More elements than one elementwise wave covers (4 * 8 blocks * 256 threads per SM) on GPUs up to 300 SMs. */
    static final int LARGE = 2_500_003;
    static final float[] NONE = new float[0];
    static final Activation[] ACTIVATIONS = Activation.values();
    static final float LEAKY_ALPHA = 0.2f;

    private CrossCheckCases() {
    }

    static List<Case> all(Numerics numerics) {
        GemmPrecision precision = numerics.gemm();
        List<Case> cases = new ArrayList<>();
        memory(cases);
        GemmCases.gemm(cases, precision);
        GemmCases.gemmBiasActivation(cases, precision);
        bias(cases);
        ConvPoolCases.convolution(cases);
        ConvPoolCases.pooling(cases, numerics.poolSumsInCpuOrder());
        ActivationCases.activations(cases);
        ActivationCases.biasActivation(cases);
        ActivationCases.softmax(cases);
        LossCases.losses(cases);
        StepScalarCases.dropout(cases);
        StepScalarCases.optimizers(cases);
        LossCases.reductions(cases);
        // last: a kernel that assumes 16-byte alignment fails here with a sticky error that ends the context
        misaligned(cases, precision);
        return cases;
    }

    // ---- memory and elementwise -------------------------------------------------------------------------------

    private static void memory(List<Case> cases) {
        for (int n : new int[] {1, 7, LARGE}) {
            cases.add(new Case("fill", Shape.of(n).toString(), r -> {
                float value = uniform(r, 1, -10, 10)[0];
                return new Setup().output("y", Shape.of(n), Tolerance.exact())
                        .run((b, t) -> {
                            b.fill(t.get("y"), value);
                            return NONE;
                        });
            }));
        }
        for (int n : new int[] {33, LARGE}) {
            cases.add(new Case("copy", Shape.of(n).toString(), r -> new Setup()
                    .input("x", Shape.of(n), uniform(r, n, -1, 1))
                    .output("y", Shape.of(n), Tolerance.exact())
                    .run((b, t) -> {
                        b.copy(t.get("y"), t.get("x"));
                        return NONE;
                    })));
        }
        for (int n : new int[] {1, 129, LARGE}) {
            cases.add(new Case("add", Shape.of(n).toString(), r -> new Setup()
                    .input("a", Shape.of(n), uniform(r, n, -1, 1))
                    .input("b", Shape.of(n), uniform(r, n, -1, 1))
                    .output("y", Shape.of(n), Tolerance.exact())
                    .run((b, t) -> {
                        b.add(t.get("y"), t.get("a"), t.get("b"));
                        return NONE;
                    })));
        }
    }

    // ---- bias -------------------------------------------------------------------------------------------------

    private static void bias(List<Case> cases) {
        Shape[] addShapes = {Shape.of(257, 33), Shape.of(7, 5, 3, 3), Shape.of(2, 3, 33, 17)};
        for (Shape y : addShapes) {
            cases.add(new Case("biasAdd", y.toString(), r -> new Setup()
                    .inout("y", y, uniform(r, (int) y.size(), -1, 1), Tolerance.exact())
                    .input("bias", Shape.of(y.dim(1)), uniform(r, y.dim(1), -1, 1))
                    .run((b, t) -> {
                        b.biasAdd(t.get("y"), t.get("bias"));
                        return NONE;
                    })));
        }
        Shape[] gradShapes = {Shape.of(257, 33), Shape.of(7, 5, 3, 3), Shape.of(2, 3, 33, 17), Shape.of(4096, 65),
            Shape.of(64, 16, 8, 8)};
        for (Shape dyShape : gradShapes) {
            cases.add(new Case("biasGrad", dyShape.toString(), r -> {
                float[] dy = uniform(r, (int) dyShape.size(), -1, 1);
                int channels = dyShape.dim(1);
                int inner = (int) dyShape.sizeFrom(2);
                double[] scale = new double[channels];
                for (int i = 0; i < dy.length; i++) {
                    scale[i / inner % channels] += Math.abs(dy[i]);
                }
                return new Setup()
                        .input("dy", dyShape, dy)
                        .output("dBias", Shape.of(channels), Tolerance.scaled(Tolerance.FP32_BOUND, scale))
                        .run((b, t) -> {
                            b.biasGrad(t.get("dBias"), t.get("dy"));
                            return NONE;
                        });
            }));
        }
    }

    // ---- tensors one float past alignment ----------------------------------------------------------------------

    /**
     * Every tensor of these cases starts one float after a 64-float boundary: vectorized (128-bit) loads and stores
     * must check alignment and fall back. The graph layer aligns its tensors, but slices and views need not be.
     */
    private static void misaligned(List<Case> cases, GemmPrecision p) {
        cases.add(gemm(p, 0, 33, 65, 17, false, false, 1, 0.75f, true));
        cases.add(gemm(p, 0, 33, 65, 17, true, false, 1, 0, true));
        int n = 1029;
        Shape s = Shape.of(n);
        String at = s + " at offset+1";
        cases.add(new Case("add", at, r -> new Setup()
                .input("a", s, uniform(r, n, -1, 1))
                .input("b", s, uniform(r, n, -1, 1))
                .output("y", s, Tolerance.exact())
                .misaligned()
                .run((b, t) -> {
                    b.add(t.get("y"), t.get("a"), t.get("b"));
                    return NONE;
                })));
        cases.add(new Case("activationForward SIGMOID", at, r -> new Setup()
                .input("x", s, uniform(r, n, -4, 4))
                .output("y", s, Tolerance.relative())
                .misaligned()
                .run((b, t) -> {
                    b.activationForward(t.get("y"), t.get("x"), Activation.SIGMOID, 0);
                    return NONE;
                })));
        SgdSettings settings = new SgdSettings(0.9f, true, 1e-2f, true);
        cases.add(new Case("sgdUpdate", at + " nesterov, decoupled decay", r -> new Setup()
                .inout("param", s, uniform(r, n, -1, 1), Tolerance.relative())
                .input("grad", s, uniform(r, n, -1, 1))
                .inout("velocity", s, uniform(r, n, -0.1f, 0.1f), Tolerance.relative())
                .input("step", StepScalars.shape(), StepScalars.of(0.05f, 1, 0))
                .misaligned()
                .run((b, t) -> {
                    b.sgdUpdate(t.get("param"), t.get("grad"), t.get("velocity"), t.get("step"), settings);
                    return NONE;
                })));
        Shape channels = Shape.of(3, 7, 49);
        cases.add(new Case("biasActivationForward TANH", channels + " at offset+1", r -> new Setup()
                .input("z", channels, uniform(r, (int) channels.size(), -4, 4))
                .input("bias", Shape.of(7), uniform(r, 7, -1, 1))
                .output("y", channels, Tolerance.relative())
                .misaligned()
                .run((b, t) -> {
                    b.biasActivationForward(t.get("y"), t.get("z"), t.get("bias"), Activation.TANH, 0);
                    return NONE;
                })));
        Shape rows = Shape.of(7, 33);
        cases.add(new Case("softmaxForward", rows + " at offset+1", r -> new Setup()
                .input("x", rows, uniform(r, (int) rows.size(), -3, 3))
                .output("y", rows, Tolerance.relative())
                .misaligned()
                .run((b, t) -> {
                    b.softmaxForward(t.get("y"), t.get("x"), 1);
                    return NONE;
                })));
        Shape planes = Shape.of(3, 5, 11);
        cases.add(new Case("logSoftmaxBackward", planes + " axis 1 at offset+1", r -> new Setup()
                .input("dy", planes, uniform(r, (int) planes.size(), -1, 1))
                .input("y", planes, softmaxLines(uniform(r, (int) planes.size(), -3, 3), planes, 1, true))
                .output("dx", planes, Tolerance.relative())
                .misaligned()
                .run((b, t) -> {
                    b.logSoftmaxBackward(t.get("dx"), t.get("dy"), t.get("y"), 1);
                    return NONE;
                })));
        cases.add(new Case("sum", at, r -> {
            float[] x = uniform(r, n, -1, 1);
            return new Setup()
                    .input("x", s, x)
                    .scalar("sum", Tolerance.scaled(Tolerance.FP32_BOUND, absSum(x)))
                    .misaligned()
                    .run((b, t) -> new float[] {b.sum(t.get("x"))});
        }));
    }

    // ---- inputs -----------------------------------------------------------------------------------------------

    /** n distinct values spread over [-1, 1), shuffled: no two equal, so no ties in a maximum. */
    static float[] distinct(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((i + 0.5) * 2 / n - 1);
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            float t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    static float[] uniform(Random r, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = lo + (hi - lo) * r.nextFloat();
        }
        return a;
    }

    static float[] labels(Random r, int n, int k) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextInt(k);
        }
        return a;
    }

    static float[] oneHot(float[] labels, int k) {
        float[] t = new float[labels.length * k];
        for (int i = 0; i < labels.length; i++) {
            t[i * k + (int) labels[i]] = 1f;
        }
        return t;
    }

    static double absSum(float[] x) {
        double s = 0;
        for (float v : x) {
            s += Math.abs(v);
        }
        return s;
    }
}
