package io.kernelnet.backend;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.Numerics.GemmPrecision;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The cases {@link CrossCheck} runs: every op the CUDA backend implements, at sizes that reach the kernels' edges
 * (1, odd sizes, more rows than one block, more elements than one grid-stride wave, empty tensors), with inputs
 * drawn from each case's seed. Bounds are explained on {@link CrossCheck}.
 */
final class CrossCheckCases {
    /** More elements than one elementwise wave covers (4 * 8 blocks * 256 threads per SM) on GPUs up to 300 SMs. */
    static final int LARGE = 2_500_003;
    private static final float[] NONE = new float[0];
    private static final Activation[] ACTIVATIONS = Activation.values();
    private static final float LEAKY_ALPHA = 0.2f;

    private CrossCheckCases() {
    }

    static List<Case> all(Numerics numerics) {
        GemmPrecision precision = numerics.gemm();
        List<Case> cases = new ArrayList<>();
        memory(cases);
        gemm(cases, precision);
        gemmBiasActivation(cases, precision);
        bias(cases);
        convolution(cases);
        pooling(cases, numerics.poolSumsInCpuOrder());
        activations(cases);
        biasActivation(cases);
        softmax(cases);
        losses(cases);
        dropout(cases);
        optimizers(cases);
        reductions(cases);
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

    // ---- GEMM -------------------------------------------------------------------------------------------------

    private static void gemm(List<Case> cases, GemmPrecision p) {
        int[][] shapes = {{1, 1, 1}, {7, 33, 129}, {129, 257, 33}, {257, 1, 7}, {33, 65, 257}};
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int[] s : shapes) {
                    cases.add(gemm(p, 0, s[0], s[1], s[2], ta, tb, 1, 0, false));
                }
                cases.add(gemm(p, 0, 65, 97, 31, ta, tb, 0.5f, -1.5f, false));
            }
        }
        // enough 128x128 tiles to fill an H100 (132 SMs): the large-tile kernel
        cases.add(gemm(p, 0, 1536, 1536, 64, false, false, 1, 0, false));
        cases.add(gemm(p, 0, 1536, 1536, 64, false, true, 1, 0.25f, false));
        // empty products: nothing to do, or (K = 0) only beta * C
        cases.add(gemm(p, 0, 0, 7, 5, false, false, 1, 0, false));
        cases.add(gemm(p, 0, 7, 0, 5, false, false, 1, 0, false));
        cases.add(gemm(p, 0, 7, 5, 0, false, false, 1, 0.5f, false));
        cases.add(gemm(p, 3, 33, 65, 17, false, false, 1, 0, false));
        cases.add(gemm(p, 3, 33, 65, 17, true, true, 1.25f, 0.5f, false));
        cases.add(gemm(p, 3, 33, 65, 17, false, true, 1, 0, false));
        cases.add(gemm(p, 3, 33, 65, 17, true, false, 1, 0, false));
        cases.add(gemm(p, 9, 512, 512, 32, true, false, 1, 0, false));
    }

    /** batch 0: a 2D gemm; otherwise gemmBatched over [batch, rows, cols] tensors. */
    private static Case gemm(GemmPrecision p, int batch, int m, int n, int k, boolean ta, boolean tb, float alpha,
                             float beta, boolean misaligned) {
        String shape = (batch > 0 ? batch + "x " : "") + "M=" + m + " N=" + n + " K=" + k + " "
                + (ta ? "T" : "N") + (tb ? "T" : "N")
                + (alpha != 1 || beta != 0 ? " alpha=" + alpha + " beta=" + beta : "")
                + (misaligned ? " at offset+1" : "");
        return new Case(batch > 0 ? "gemmBatched" : "gemm", shape, r -> {
            int count = Math.max(batch, 1);
            float[] a = uniform(r, count * m * k, -1, 1);
            float[] b = uniform(r, count * k * n, -1, 1);
            float[] c0 = beta == 0 ? null : uniform(r, count * m * n, -1, 1);
            Tolerance tolerance = Tolerance.scaled(Tolerance.gemmBound(p, k),
                    gemmScale(a, ta, b, tb, c0, count, m, n, k, alpha, beta));
            Setup s = new Setup()
                    .input("a", batched(batch, ta ? Shape.of(k, m) : Shape.of(m, k)), a)
                    .input("b", batched(batch, tb ? Shape.of(n, k) : Shape.of(k, n)), b);
            Shape cShape = batched(batch, Shape.of(m, n));
            if (c0 == null) {
                s.output("c", cShape, tolerance);
            } else {
                s.inout("c", cShape, c0, tolerance);
            }
            if (misaligned) {
                s.misaligned();
            }
            return s.run((be, t) -> {
                if (batch > 0) {
                    be.gemmBatched(t.get("c"), t.get("a"), ta, t.get("b"), tb, alpha, beta);
                } else {
                    be.gemm(t.get("c"), t.get("a"), ta, t.get("b"), tb, alpha, beta);
                }
                return NONE;
            });
        });
    }

    private static Shape batched(int batch, Shape s) {
        return batch > 0 ? s.batched(batch) : s;
    }

    /** |alpha| sum_p |opA_ip| |opB_pj| + |beta| |C0_ij| for every element: the scale of the GEMM error bound. */
    static double[] gemmScale(float[] a, boolean ta, float[] b, boolean tb, float[] c0, int batch, int m, int n,
                              int k, float alpha, float beta) {
        double[] scale = new double[batch * m * n];
        double[] absB = new double[k * n];
        for (int q = 0; q < batch; q++) {
            int ab = q * m * k;
            int bb = q * k * n;
            int cb = q * m * n;
            // |opB| row-major [k, n] once, so that the inner loop runs along contiguous rows
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    absB[p * n + j] = Math.abs(b[bb + (tb ? j * k + p : p * n + j)]);
                }
            }
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double aip = Math.abs(alpha) * Math.abs(a[ab + (ta ? p * m + i : i * k + p)]);
                    for (int j = 0; j < n; j++) {
                        scale[cb + i * n + j] += aip * absB[p * n + j];
                    }
                }
            }
        }
        if (c0 != null) {
            for (int i = 0; i < scale.length; i++) {
                scale[i] += Math.abs(beta) * Math.abs(c0[i]);
            }
        }
        return scale;
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

    // ---- convolution and pooling ------------------------------------------------------------------------------

    /** A conv2d geometry named for the case table. */
    private record ConvShape(String name, Conv2dGeometry g) {
    }

    private static ConvShape conv(int n, int cIn, int h, int w, int cOut, int k, int stride, String padding,
                                  int dilation) {
        Padding pad = Padding.keras(padding, h, w, k, k, stride, stride, dilation, dilation);
        Conv2dGeometry g = new Conv2dGeometry(n, cIn, h, w, cOut, k, k, stride, stride, pad, dilation, dilation);
        return new ConvShape("x" + g.inputShape() + " w" + g.weightShape() + " s" + stride + " " + padding
                + (dilation > 1 ? " d" + dilation : ""), g);
    }

    /**
     * Odd sizes, batch 1 and 7, stride 2, 'same' (asymmetric at stride 2) and 'valid', dilation 2, more than one
     * 64-wide tile of channels, and the cnn's three layers at batch 128 (MnistModels.cnn).
     */
    static List<Conv2dGeometry> convGeometries() {
        List<Conv2dGeometry> list = new ArrayList<>();
        for (ConvShape s : convShapes()) {
            list.add(s.g());
        }
        return list;
    }

    private static List<ConvShape> convShapes() {
        return List.of(
                conv(1, 1, 5, 5, 1, 3, 1, "valid", 1),
                conv(7, 3, 9, 11, 5, 3, 1, "same", 1),
                conv(7, 3, 10, 9, 70, 3, 2, "same", 1),
                conv(1, 4, 8, 7, 9, 5, 2, "valid", 1),
                conv(2, 5, 13, 12, 6, 3, 1, "same", 2),
                conv(3, 20, 7, 8, 67, 2, 1, "same", 1),
                conv(128, 1, 28, 28, 32, 3, 1, "valid", 1),
                conv(128, 32, 13, 13, 64, 3, 1, "valid", 1),
                conv(128, 64, 5, 5, 64, 3, 1, "valid", 1));
    }

    /**
     * Bounds as for GEMM: |a - r| <= 2 gamma(K+2) * s per element, K the pass's reduction length and s the same
     * pass over |inputs| (computed by the CPU reference on absolute values).
     */
    private static void convolution(List<Case> cases) {
        for (ConvShape cs : convShapes()) {
            Conv2dGeometry g = cs.g();
            int fwdK = g.cIn() * g.kh() * g.kw();
            int dataK = g.cOut() * g.kh() * g.kw();
            int filterK = g.n() * g.outH() * g.outW();
            cases.add(new Case("conv2dForward", cs.name(), r -> {
                float[] x = uniform(r, (int) g.inputShape().size(), -1, 1);
                float[] w = uniform(r, (int) g.weightShape().size(), -1, 1);
                double[] scale = absolutePass(g.outputShape(), (cpu, out) -> cpu.conv2dForward(out,
                        abs(x, g.inputShape()), abs(w, g.weightShape()), g));
                return new Setup()
                        .input("x", g.inputShape(), x)
                        .input("w", g.weightShape(), w)
                        .output("y", g.outputShape(), Tolerance.scaled(Tolerance.gemmBound(GemmPrecision.FP32, fwdK),
                                scale))
                        .run((b, t) -> {
                            b.conv2dForward(t.get("y"), t.get("x"), t.get("w"), g);
                            return NONE;
                        });
            }));
            cases.add(new Case("conv2dBackwardData", cs.name(), r -> {
                float[] dy = uniform(r, (int) g.outputShape().size(), -1, 1);
                float[] w = uniform(r, (int) g.weightShape().size(), -1, 1);
                double[] scale = absolutePass(g.inputShape(), (cpu, out) -> cpu.conv2dBackwardData(out,
                        abs(dy, g.outputShape()), abs(w, g.weightShape()), g));
                return new Setup()
                        .input("dy", g.outputShape(), dy)
                        .input("w", g.weightShape(), w)
                        .output("dx", g.inputShape(), Tolerance.scaled(Tolerance.gemmBound(GemmPrecision.FP32, dataK),
                                scale))
                        .run((b, t) -> {
                            b.conv2dBackwardData(t.get("dx"), t.get("dy"), t.get("w"), g);
                            return NONE;
                        });
            }));
            cases.add(new Case("conv2dBackwardFilter", cs.name(), r -> {
                float[] dy = uniform(r, (int) g.outputShape().size(), -1, 1);
                float[] x = uniform(r, (int) g.inputShape().size(), -1, 1);
                double[] scale = absolutePass(g.weightShape(), (cpu, out) -> cpu.conv2dBackwardFilter(out,
                        abs(dy, g.outputShape()), abs(x, g.inputShape()), g));
                return new Setup()
                        .input("dy", g.outputShape(), dy)
                        .input("x", g.inputShape(), x)
                        .output("dw", g.weightShape(), Tolerance.scaled(Tolerance.gemmBound(GemmPrecision.FP32,
                                filterK), scale))
                        .run((b, t) -> {
                            withPlannedWorkspace(b, g, () -> b.conv2dBackwardFilter(t.get("dw"), t.get("dy"),
                                    t.get("x"), g));
                            return NONE;
                        });
            }));
        }
    }

    /**
     * Runs {@code call} as a built model would: the shape planned first, with a workspace of the size the plan
     * asked for (a separate allocation here, released after), so that split reductions are exercised too.
     */
    private static void withPlannedWorkspace(Backend b, Conv2dGeometry g, Runnable call) {
        long floats = b.planConv2d(g).workspaceFloats();
        if (floats == 0) {
            call.run();
            return;
        }
        Storage ws = b.allocate(floats, "crosscheck conv workspace");
        try {
            b.useWorkspace(new Tensor(ws, 0, Shape.of(Math.toIntExact(floats)), "workspace"));
            call.run();
            b.synchronize();
        } finally {
            b.useWorkspace(null);
            ws.close();
        }
    }

    private interface CpuPass {
        void run(CpuBackend cpu, Tensor out);
    }

    /** The pass computed on the CPU over absolute values: the scale of each output's rounding error. */
    private static double[] absolutePass(Shape outShape, CpuPass pass) {
        try (CpuBackend cpu = new CpuBackend()) {
            Tensor out = Tensor.zeros(outShape);
            pass.run(cpu, out);
            float[] v = out.toArray();
            double[] scale = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                scale[i] = v[i];
            }
            return scale;
        }
    }

    private static Tensor abs(float[] values, Shape shape) {
        float[] a = new float[values.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.abs(values[i]);
        }
        return Tensor.wrap(a, shape);
    }

    private static Pool2dGeometry pool(int n, int c, int h, int w, int kh, int kw, int stride, String padding) {
        Padding pad = Padding.keras(padding, h, w, kh, kw, stride, stride, 1, 1);
        return new Pool2dGeometry(n, c, h, w, kh, kw, stride, stride, pad);
    }

    /** Pool shapes: the cnn's two (batch 128), overlapping and padded windows, 'same' with extra bottom/right. */
    static List<Pool2dGeometry> poolGeometries() {
        return List.of(
                pool(128, 32, 26, 26, 2, 2, 2, "valid"),
                pool(128, 64, 11, 11, 2, 2, 2, "valid"),
                pool(7, 3, 7, 9, 3, 3, 2, "same"),
                pool(1, 2, 8, 7, 3, 2, 1, "same"),
                pool(7, 1, 5, 5, 2, 2, 2, "same"));
    }

    /**
     * Pooling in the CPU's order is exact: the same comparisons, the same additions in the same order (our kernels
     * gather in the CPU's scatter order; averages sum in double). Inputs drawn from five integers make ties common in every case, so
     * the first-maximum rule is tested too. The max-pool backward draws distinct inputs: without ties every engine
     * picks the same winner.
     *
     * <p>An engine that sums in its own order (cuDNN) is held to derived bounds where a sum is rounded in float,
     * with u = 2^-24 and gamma(m) = m u / (1 - m u) (Higham): a sum of m terms in any order is within gamma(m - 1)
     * of the sum of their magnitudes, a division (or a product with a rounded reciprocal) adds at most 2u, and the
     * CPU's own rounding of its double result u:
     * <ul>
     * <li>average forward: y = sum of k window values / k, |y - y_cpu| <= gamma(k + 2) * (sum |x| / k) per output;
     * <li>average backward: dx = sum over the m windows holding x of dy / count, each quotient rounded:
     *     |dx - dx_cpu| <= gamma(m + 2) * sum |dy| / count;
     * <li>max backward: dx = sum of the dy of the m windows x wins, |dx - dx_cpu| <= gamma(m) * sum |dy|; exact
     *     when windows do not overlap (m = 1);
     * <li>max forward: exact (a maximum is one of its inputs).
     * </ul>
     */
    private static void pooling(List<Case> cases, boolean inCpuOrder) {
        for (Pool2dGeometry g : poolGeometries()) {
            String name = "x" + g.inputShape() + " " + g.kh() + "x" + g.kw() + " s" + g.strideH() + " pad "
                    + g.pad().top() + "/" + g.pad().bottom() + "/" + g.pad().left() + "/" + g.pad().right();
            int in = (int) g.inputShape().size();
            int out = (int) g.outputShape().size();
            // the most windows one input lies in
            int m = ceilDiv(g.kh(), g.strideH()) * ceilDiv(g.kw(), g.strideW());
            cases.add(new Case("maxPool2dForward", name + " ties", g, r -> new Setup()
                    .input("x", g.inputShape(), integers(uniform(r, in, -2.5f, 2.5f)))
                    .output("y", g.outputShape(), Tolerance.exact())
                    .output("argmax", g.outputShape(), Tolerance.exact())
                    .run((b, t) -> {
                        b.maxPool2dForward(t.get("y"), t.get("argmax"), t.get("x"), g);
                        return NONE;
                    })));
            cases.add(new Case("maxPool2dBackward", name, g, r -> {
                float[] x = distinct(r, in);
                Tensor y = Tensor.zeros(g.outputShape());
                Tensor argmax = Tensor.zeros(g.outputShape());
                try (CpuBackend cpu = new CpuBackend()) {
                    cpu.maxPool2dForward(y, argmax, Tensor.wrap(x, g.inputShape()), g);
                }
                float[] dy = uniform(r, out, -1, 1);
                return new Setup()
                        .input("dy", g.outputShape(), dy)
                        .input("x", g.inputShape(), x)
                        .input("y", g.outputShape(), y.toArray())
                        .input("argmax", g.outputShape(), argmax.toArray())
                        .output("dx", g.inputShape(), inCpuOrder ? Tolerance.exact()
                                : Tolerance.scaled(gamma(m), windowSums(g, dy, false)))
                        .run((b, t) -> {
                            b.maxPool2dBackward(t.get("dx"), t.get("dy"), t.get("x"), t.get("y"), t.get("argmax"), g);
                            return NONE;
                        });
            }));
            cases.add(new Case("avgPool2dForward", name, g, r -> {
                float[] x = uniform(r, in, -1, 1);
                return new Setup()
                        .input("x", g.inputShape(), x)
                        .output("y", g.outputShape(), inCpuOrder ? Tolerance.exact()
                                : Tolerance.scaled(gamma(g.kh() * g.kw() + 2), windowMeans(g, x)))
                        .run((b, t) -> {
                            b.avgPool2dForward(t.get("y"), t.get("x"), g);
                            return NONE;
                        });
            }));
            cases.add(new Case("avgPool2dBackward", name, g, r -> {
                float[] dy = uniform(r, out, -1, 1);
                return new Setup()
                        .input("dy", g.outputShape(), dy)
                        .output("dx", g.inputShape(), inCpuOrder ? Tolerance.exact()
                                : Tolerance.scaled(gamma(m + 2), windowSums(g, dy, true)))
                        .run((b, t) -> {
                            b.avgPool2dBackward(t.get("dx"), t.get("dy"), g);
                            return NONE;
                        });
            }));
        }
    }

    /** gamma(m) = m u / (1 - m u), u = 2^-24. */
    private static double gamma(int m) {
        double u = 0x1p-24;
        return m * u / (1 - m * u);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** Per output: the mean of |x| over its window (clipped to the input, as CpuPool counts it). */
    private static double[] windowMeans(Pool2dGeometry g, float[] x) {
        double[] scale = new double[(int) g.outputShape().size()];
        forEachWindow(g, (o, i, count) -> scale[o] += Math.abs(x[i]) / count);
        return scale;
    }

    /** Per input: the sum of |dy| (divided by the window's count when {@code perCount}) over its windows. */
    private static double[] windowSums(Pool2dGeometry g, float[] dy, boolean perCount) {
        double[] scale = new double[(int) g.inputShape().size()];
        forEachWindow(g, (o, i, count) -> scale[i] += Math.abs(dy[o]) / (perCount ? count : 1));
        return scale;
    }

    private interface WindowVisitor {
        void visit(int output, int input, int count);
    }

    /** Every (output, input in its clipped window, window size) of the pooling, NCHW. */
    private static void forEachWindow(Pool2dGeometry g, WindowVisitor v) {
        for (int plane = 0; plane < g.n() * g.c(); plane++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                int h0 = Math.max(oh * g.strideH() - g.pad().top(), 0);
                int h1 = Math.min(oh * g.strideH() - g.pad().top() + g.kh(), g.h());
                for (int ow = 0; ow < g.outW(); ow++) {
                    int w0 = Math.max(ow * g.strideW() - g.pad().left(), 0);
                    int w1 = Math.min(ow * g.strideW() - g.pad().left() + g.kw(), g.w());
                    int o = (plane * g.outH() + oh) * g.outW() + ow;
                    int count = (h1 - h0) * (w1 - w0);
                    for (int ih = h0; ih < h1; ih++) {
                        for (int iw = w0; iw < w1; iw++) {
                            v.visit(o, (plane * g.h() + ih) * g.w() + iw, count);
                        }
                    }
                }
            }
        }
    }

    /** v rounded to integers: {-2, ..., 2} from [-2.5, 2.5), so that a window's maximum is often tied. */
    private static float[] integers(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.round(v[i]);
        }
        return v;
    }

    // ---- activations ------------------------------------------------------------------------------------------

    private static void activations(List<Case> cases) {
        Shape shape = Shape.of(1000, 129);
        for (Activation act : ACTIVATIONS) {
            cases.add(new Case("activationForward " + act, shape.toString(), r -> new Setup()
                    .input("x", shape, activationInput(r, act, (int) shape.size()))
                    .output("y", shape, activationTolerance(act))
                    .run((b, t) -> {
                        b.activationForward(t.get("y"), t.get("x"), act, LEAKY_ALPHA);
                        return NONE;
                    })));
            cases.add(new Case("activationBackward " + act, shape.toString(), r -> {
                float[] x = activationInput(r, act, (int) shape.size());
                return new Setup()
                        .input("dy", shape, uniform(r, x.length, -1, 1))
                        .input("x", shape, x)
                        .input("y", shape, activate(act, x))
                        .output("dx", shape, activationTolerance(act))
                        .run((b, t) -> {
                            b.activationBackward(t.get("dx"), t.get("dy"), t.get("x"), t.get("y"), act, LEAKY_ALPHA);
                            return NONE;
                        });
            }));
        }
        cases.add(new Case("activationForward RELU", Shape.of(LARGE).toString(), r -> new Setup()
                .input("x", Shape.of(LARGE), activationInput(r, Activation.RELU, LARGE))
                .output("y", Shape.of(LARGE), Tolerance.exact())
                .run((b, t) -> {
                    b.activationForward(t.get("y"), t.get("x"), Activation.RELU, 0);
                    return NONE;
                })));
        // in place (y = x, dx = dy), with null for the tensor the backward does not read
        Shape small = Shape.of(257, 33);
        for (Activation act : new Activation[] {Activation.RELU, Activation.SIGMOID}) {
            cases.add(new Case("activationForward " + act + " in place", small.toString(), r -> new Setup()
                    .inout("x", small, activationInput(r, act, (int) small.size()), activationTolerance(act))
                    .run((b, t) -> {
                        b.activationForward(t.get("x"), t.get("x"), act, LEAKY_ALPHA);
                        return NONE;
                    })));
        }
        for (Activation act : new Activation[] {Activation.LEAKY_RELU, Activation.TANH}) {
            boolean fromInput = act == Activation.LEAKY_RELU;
            cases.add(new Case("activationBackward " + act + " in place", small.toString(), r -> {
                float[] x = activationInput(r, act, (int) small.size());
                return new Setup()
                        .inout("dy", small, uniform(r, x.length, -1, 1), activationTolerance(act))
                        .input("saved", small, fromInput ? x : activate(act, x))
                        .run((b, t) -> {
                            Tensor saved = t.get("saved");
                            b.activationBackward(t.get("dy"), t.get("dy"), fromInput ? saved : null,
                                    fromInput ? null : saved, act, LEAKY_ALPHA);
                            return NONE;
                        });
            }));
        }
    }

    /**
     * The fused epilogue: Dense-like [n, c] and NCHW shapes, with and without a bias, in place; the backward also
     * at shapes whose channels the CUDA backend splits over sample ranges (a conv layer's 32 channels, a Dense
     * output with 3 units and many rows). The bias gradient's bound: sum |dy| per channel, which bounds sum |dz|
     * since |act'| <= 1 for all four.
     */
    private static void biasActivation(List<Case> cases) {
        Shape[] shapes = {Shape.of(257, 33), Shape.of(7, 5, 3, 3), Shape.of(2, 3, 33, 17)};
        for (Activation act : ACTIVATIONS) {
            for (Shape shape : shapes) {
                int c = shape.dim(1);
                boolean withBias = shape.rank() == 2 || act != Activation.TANH;
                cases.add(new Case("biasActivationForward " + act + (withBias ? "" : " no bias"), shape.toString(),
                        r -> {
                            Setup setup = new Setup()
                                    .input("z", shape, activationInput(r, act, (int) shape.size()))
                                    .output("y", shape, activationTolerance(act));
                            if (withBias) {
                                setup.input("bias", Shape.of(c), uniform(r, c, -1, 1));
                            }
                            return setup.run((b, t) -> {
                                b.biasActivationForward(t.get("y"), t.get("z"), withBias ? t.get("bias") : null, act,
                                        LEAKY_ALPHA);
                                return NONE;
                            });
                        }));
            }
        }
        Shape small = Shape.of(257, 33);
        cases.add(new Case("biasActivationForward RELU in place", small.toString(), r -> new Setup()
                .inout("z", small, uniform(r, (int) small.size(), -1, 1), Tolerance.exact())
                .input("bias", Shape.of(33), uniform(r, 33, -1, 1))
                .run((b, t) -> {
                    b.biasActivationForward(t.get("z"), t.get("z"), t.get("bias"), Activation.RELU, 0);
                    return NONE;
                })));
        Shape[] backwardShapes = {Shape.of(257, 33), Shape.of(7, 5, 3, 3), Shape.of(128, 32, 13, 13),
            Shape.of(40000, 3)};
        for (Activation act : ACTIVATIONS) {
            for (Shape shape : backwardShapes) {
                cases.add(biasActivationBackward(act, shape, true, false));
            }
        }
        cases.add(biasActivationBackward(Activation.SIGMOID, small, false, false));
        cases.add(biasActivationBackward(Activation.LEAKY_RELU, Shape.of(128, 32, 13, 13), true, true));
    }

    /**
     * A Dense forward c = act(a b + bias): Dense-like shapes, the mlp's first layer at batch 512, enough 128x128
     * tiles for the large-tile kernel, without bias or activation, K = 0. Bound: the GEMM's for K + 1 terms (the
     * bias one more) on sum |a b| + |bias|, plus 1 in the scale for sigmoid and tanh (their own few ulps of a
     * value in (-1, 1)); |act'| <= 1 carries the pre-activation's error through.
     */
    private static void gemmBiasActivation(List<Case> cases, GemmPrecision p) {
        int[][] shapes = {{1, 1, 1}, {7, 33, 129}, {129, 10, 64}, {512, 128, 784}, {1536, 1536, 64}, {5, 3, 0}};
        // no ReLU where a handful of outputs could all be 0 with or without a bias
        Activation[] acts = {Activation.TANH, Activation.RELU, Activation.LEAKY_RELU, Activation.RELU,
            Activation.SIGMOID, Activation.TANH};
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            cases.add(gemmBiasActivation(p, s[0], s[1], s[2], acts[i], true));
        }
        cases.add(gemmBiasActivation(p, 65, 97, 31, null, true));
        cases.add(gemmBiasActivation(p, 65, 97, 31, Activation.TANH, false));
        cases.add(gemmBiasActivation(p, 257, 130, 33, Activation.SIGMOID, true));
    }

    private static Case gemmBiasActivation(GemmPrecision p, int m, int n, int k, Activation act, boolean withBias) {
        String shape = "M=" + m + " N=" + n + " K=" + k + " " + (act == null ? "no activation" : act)
                + (withBias ? "" : " no bias");
        return new Case("gemmBiasActivation", shape, r -> {
            float[] a = uniform(r, m * k, -1, 1);
            float[] b = uniform(r, k * n, -1, 1);
            float[] bias = uniform(r, n, -1, 1);
            double[] scale = gemmScale(a, false, b, false, null, 1, m, n, k, 1, 0);
            for (int i = 0; i < scale.length; i++) {
                scale[i] += (withBias ? Math.abs(bias[i % n]) : 0)
                        + (act == Activation.SIGMOID || act == Activation.TANH ? 1 : 0);
            }
            Setup s = new Setup()
                    .input("a", Shape.of(m, k), a)
                    .input("b", Shape.of(k, n), b)
                    .output("c", Shape.of(m, n), Tolerance.scaled(Tolerance.gemmBound(p, k + 1), scale));
            if (withBias) {
                s.input("bias", Shape.of(n), bias);
            }
            return s.run((be, t) -> {
                be.gemmBiasActivation(t.get("c"), t.get("a"), t.get("b"), withBias ? t.get("bias") : null, act,
                        LEAKY_ALPHA);
                return NONE;
            });
        });
    }

    private static Case biasActivationBackward(Activation act, Shape shape, boolean withBias, boolean inPlace) {
        String name = "biasActivationBackward " + act + (withBias ? "" : " no bias") + (inPlace ? " in place" : "");
        return new Case(name, shape.toString(), r -> {
            int c = shape.dim(1);
            int inner = (int) shape.sizeFrom(2);
            float[] y = activate(act, activationInput(r, act, (int) shape.size()));
            float[] dy = uniform(r, y.length, -1, 1);
            double[] scale = new double[c];
            for (int i = 0; i < dy.length; i++) {
                scale[i / inner % c] += Math.abs(dy[i]);
            }
            Setup setup = new Setup().input("y", shape, y);
            if (inPlace) {
                setup.inout("dy", shape, dy, activationTolerance(act));
            } else {
                setup.input("dy", shape, dy).output("dz", shape, activationTolerance(act));
            }
            if (withBias) {
                setup.output("dBias", Shape.of(c), Tolerance.scaled(Tolerance.FP32_BOUND, scale));
            }
            return setup.run((b, t) -> {
                Tensor dz = t.get(inPlace ? "dy" : "dz");
                b.biasActivationBackward(dz, withBias ? t.get("dBias") : null, t.get("dy"), t.get("y"), act,
                        LEAKY_ALPHA);
                return NONE;
            });
        });
    }

    /** ReLUs get exact zeros (their derivative there is a convention both backends must share); others a range. */
    private static float[] activationInput(Random r, Activation act, int n) {
        if (act == Activation.RELU || act == Activation.LEAKY_RELU) {
            float[] x = uniform(r, n, -1, 1);
            for (int i = 0; i < n; i += 1 + r.nextInt(16)) {
                x[i] = 0f;
            }
            return x;
        }
        return uniform(r, n, -4, 4);
    }

    /** The ReLUs are a comparison and one multiply: exact. Sigmoid and tanh use exp/tanh: relative. */
    private static Tolerance activationTolerance(Activation act) {
        return act == Activation.RELU || act == Activation.LEAKY_RELU ? Tolerance.exact() : Tolerance.relative();
    }

    private static float[] activate(Activation act, float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            float v = x[i];
            y[i] = switch (act) {
                case RELU -> Math.max(v, 0f);
                case LEAKY_RELU -> v > 0 ? v : LEAKY_ALPHA * v;
                case SIGMOID -> (float) (1 / (1 + Math.exp(-v)));
                case TANH -> (float) Math.tanh(v);
            };
        }
        return y;
    }

    // ---- softmax family ---------------------------------------------------------------------------------------

    /** A shape and the axis a softmax-family case runs over. */
    private record AxisCase(Shape shape, int axis) {
        int k() {
            return shape.dim(axis);
        }

        @Override
        public String toString() {
            return shape + " axis " + axis + (axis == shape.rank() - 1 ? " (last)" : "");
        }
    }

    /**
     * The last axis (the row kernels: rows of 1 to 4097 classes, none) and any other (the axis kernels: the
     * channels of NCHW, a middle axis, the first axis, an empty trailing axis, and a size-1 trailing axis, which is
     * a last axis again). The axis kernels sum a line in float in order, so their lines stay short (k <= 64) for the
     * relative bound.
     */
    private static void softmax(List<Case> cases) {
        AxisCase[] shapes = {new AxisCase(Shape.of(1, 1), 1), new AxisCase(Shape.of(7, 10), 1),
            new AxisCase(Shape.of(129, 1000), 1), new AxisCase(Shape.of(5, 4097), 1), new AxisCase(Shape.of(0, 10), 1),
            new AxisCase(Shape.of(2, 64, 5, 7), 1), new AxisCase(Shape.of(3, 10, 33), 1),
            new AxisCase(Shape.of(2, 3, 4, 5), 2), new AxisCase(Shape.of(6, 5), 0), new AxisCase(Shape.of(2, 3, 0), 1),
            new AxisCase(Shape.of(4, 3, 1), 1), new AxisCase(Shape.of(64, 32, 26, 26), 1)};
        for (AxisCase a : shapes) {
            Shape s = a.shape();
            for (boolean log : new boolean[] {false, true}) {
                String name = log ? "logSoftmax" : "softmax";
                cases.add(new Case(name + "Forward", a.toString(), r -> new Setup()
                        .input("x", s, uniform(r, (int) s.size(), -3, 3))
                        .output("y", s, Tolerance.relative())
                        .run((b, t) -> {
                            if (log) {
                                b.logSoftmaxForward(t.get("y"), t.get("x"), a.axis());
                            } else {
                                b.softmaxForward(t.get("y"), t.get("x"), a.axis());
                            }
                            return NONE;
                        })));
                cases.add(new Case(name + "Backward", a.toString(), r -> new Setup()
                        .input("dy", s, uniform(r, (int) s.size(), -1, 1))
                        .input("y", s, softmaxLines(uniform(r, (int) s.size(), -3, 3), s, a.axis(), log))
                        .output("dx", s, Tolerance.relative())
                        .run((b, t) -> {
                            if (log) {
                                b.logSoftmaxBackward(t.get("dx"), t.get("dy"), t.get("y"), a.axis());
                            } else {
                                b.softmaxBackward(t.get("dx"), t.get("dy"), t.get("y"), a.axis());
                            }
                            return NONE;
                        })));
            }
        }
        Shape wide = Shape.of(64, 1000);
        cases.add(new Case("softmaxForward", wide + " logits in [-40, 40)", r -> new Setup()
                .input("x", wide, uniform(r, (int) wide.size(), -40, 40))
                .output("y", wide, Tolerance.relative())
                .run((b, t) -> {
                    b.softmaxForward(t.get("y"), t.get("x"), 1);
                    return NONE;
                })));
        Shape channels = Shape.of(4, 16, 9, 9);
        cases.add(new Case("softmaxForward", channels + " axis 1, logits in [-40, 40)", r -> new Setup()
                .input("x", channels, uniform(r, (int) channels.size(), -40, 40))
                .output("y", channels, Tolerance.relative())
                .run((b, t) -> {
                    b.softmaxForward(t.get("y"), t.get("x"), 1);
                    return NONE;
                })));
    }

    /** Softmax (or log-softmax) over {@code axis} of x in double, rounded once: realistic y for the backward cases. */
    private static float[] softmaxLines(float[] x, Shape shape, int axis, boolean log) {
        int k = shape.dim(axis);
        int inner = (int) shape.sizeFrom(axis + 1);
        float[] y = new float[x.length];
        for (int line = 0; k > 0 && line < x.length / k; line++) {
            int base = line / inner * k * inner + line % inner;
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < k; j++) {
                max = Math.max(max, x[base + j * inner]);
            }
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += Math.exp(x[base + j * inner] - max);
            }
            double lse = max + Math.log(sum);
            for (int j = 0; j < k; j++) {
                int at = base + j * inner;
                y[at] = (float) (log ? x[at] - lse : Math.exp(x[at] - lse));
            }
        }
        return y;
    }

    // ---- losses -----------------------------------------------------------------------------------------------

    private static void losses(List<Case> cases) {
        Shape[] shapes = {Shape.of(1, 1), Shape.of(7, 10), Shape.of(257, 33), Shape.of(129, 1000), Shape.of(3, 4097),
            Shape.of(0, 10)};
        for (Shape s : shapes) {
            cases.add(sparseCrossEntropy(s, 3, ""));
        }
        cases.add(sparseCrossEntropy(Shape.of(64, 1000), 30, " logits in [-30, 30)"));
        cases.add(denseCrossEntropy(Shape.of(257, 33), "one-hot"));
        cases.add(denseCrossEntropy(Shape.of(64, 1000), "probabilities"));
        cases.add(denseCrossEntropy(Shape.of(7, 10), "unnormalized"));
        for (Shape s : new Shape[] {Shape.of(1), Shape.of(4097), Shape.of(257, 33), Shape.of(1000, 1000)}) {
            cases.add(new Case("mseLoss", s.toString(), r -> new Setup()
                    .input("pred", s, uniform(r, (int) s.size(), -1, 1))
                    .input("target", s, uniform(r, (int) s.size(), -1, 1))
                    .output("dPred", s, Tolerance.relative())
                    .scalar("loss", Tolerance.relative())
                    .run((b, t) -> new float[] {b.mseLoss(t.get("dPred"), t.get("pred"), t.get("target"))})));
        }
        // the variants that leave the mean on the device, as a training step uses them
        for (Shape s : new Shape[] {Shape.of(257, 33), Shape.of(0, 3)}) {
            cases.add(new Case("mseLoss into a tensor", s.toString(), r -> new Setup()
                    .input("pred", s, uniform(r, (int) s.size(), -1, 1))
                    .input("target", s, uniform(r, (int) s.size(), -1, 1))
                    .output("dPred", s, Tolerance.relative())
                    .output("loss", Shape.of(1), Tolerance.relative())
                    .run((b, t) -> {
                        b.mseLoss(t.get("loss"), t.get("dPred"), t.get("pred"), t.get("target"));
                        return NONE;
                    })));
        }
        for (Shape s : new Shape[] {Shape.of(128, 10), Shape.of(3, 4097), Shape.of(0, 10)}) {
            int n = s.dim(0);
            int k = s.dim(1);
            cases.add(new Case("softmaxCrossEntropySparse into a tensor", s.toString(), r -> new Setup()
                    .input("logits", s, uniform(r, n * k, -3, 3))
                    .input("labels", Shape.of(n), labels(r, n, k))
                    .output("probs", s, Tolerance.relative())
                    .output("dLogits", s, Tolerance.relative())
                    .output("loss", Shape.of(1), Tolerance.relative())
                    .run((b, t) -> {
                        b.softmaxCrossEntropySparse(t.get("loss"), t.get("probs"), t.get("dLogits"), t.get("logits"),
                                t.get("labels"));
                        return NONE;
                    })));
            cases.add(new Case("softmaxCrossEntropy into a tensor", s + " one-hot", r -> new Setup()
                    .input("logits", s, uniform(r, n * k, -3, 3))
                    .input("targets", s, oneHot(labels(r, n, k), k))
                    .output("probs", s, Tolerance.relative())
                    .output("dLogits", s, Tolerance.relative())
                    .output("loss", Shape.of(1), Tolerance.relative())
                    .run((b, t) -> {
                        b.softmaxCrossEntropy(t.get("loss"), t.get("probs"), t.get("dLogits"), t.get("logits"),
                                t.get("targets"));
                        return NONE;
                    })));
        }
    }

    private static Case sparseCrossEntropy(Shape s, float logitRange, String note) {
        int n = s.dim(0);
        int k = s.dim(1);
        return new Case("softmaxCrossEntropySparse", s + note, r -> new Setup()
                .input("logits", s, uniform(r, n * k, -logitRange, logitRange))
                .input("labels", Shape.of(n), labels(r, n, k))
                .output("probs", s, Tolerance.relative())
                .output("dLogits", s, Tolerance.relative())
                .scalar("loss", Tolerance.relative())
                .run((b, t) -> new float[] {b.softmaxCrossEntropySparse(t.get("probs"), t.get("dLogits"),
                        t.get("logits"), t.get("labels"))}));
    }

    private static Case denseCrossEntropy(Shape s, String targets) {
        int n = s.dim(0);
        int k = s.dim(1);
        return new Case("softmaxCrossEntropy", s + " " + targets, r -> {
            float[] t = switch (targets) {
                case "one-hot" -> oneHot(labels(r, n, k), k);
                case "probabilities" -> softmaxLines(uniform(r, n * k, -2, 2), Shape.of(n, k), 1, false);
                default -> uniform(r, n * k, 0.1f, 1);
            };
            return new Setup()
                    .input("logits", s, uniform(r, n * k, -3, 3))
                    .input("targets", s, t)
                    .output("probs", s, Tolerance.relative())
                    .output("dLogits", s, Tolerance.relative())
                    .scalar("loss", Tolerance.relative())
                    .run((b, m) -> new float[] {b.softmaxCrossEntropy(m.get("probs"), m.get("dLogits"),
                            m.get("logits"), m.get("targets"))});
        });
    }

    // ---- dropout ----------------------------------------------------------------------------------------------

    private static void dropout(List<Case> cases) {
        Object[][] configs = {{0.5f, Shape.of(LARGE)}, {0f, Shape.of(7)}, {0.9f, Shape.of(1000, 33)},
            {0.25f, Shape.of(5)}};
        for (Object[] config : configs) {
            float rate = (Float) config[0];
            Shape s = (Shape) config[1];
            cases.add(new Case("dropoutForward", s + " rate " + rate, r -> {
                long seed = r.nextLong();
                // a generator position up to 2^44: every word of the step scalars' count, and the high word of the
                // Philox counter, matter
                long position = r.nextLong() >>> 20;
                long offset = r.nextInt(1 << 20);
                return new Setup()
                        .input("x", s, uniform(r, (int) s.size(), -1, 1))
                        .input("step", StepScalars.shape(), StepScalars.of(0f, 1, position))
                        .output("y", s, Tolerance.relative())
                        .output("mask", s, Tolerance.exact())
                        .run((b, t) -> {
                            b.dropoutForward(t.get("y"), t.get("mask"), t.get("x"), t.get("step"), rate, seed,
                                    offset);
                            return NONE;
                        });
            }));
        }
        Shape s = Shape.of(1000, 33);
        cases.add(new Case("dropoutBackward", s.toString(), r -> {
            float[] mask = new float[(int) s.size()];
            for (int i = 0; i < mask.length; i++) {
                mask[i] = r.nextBoolean() ? 2f : 0f;
            }
            return new Setup()
                    .input("dy", s, uniform(r, mask.length, -1, 1))
                    .input("mask", s, mask)
                    .output("dx", s, Tolerance.exact())
                    .run((b, t) -> {
                        b.dropoutBackward(t.get("dx"), t.get("dy"), t.get("mask"));
                        return NONE;
                    });
        }));
    }

    // ---- optimizers -------------------------------------------------------------------------------------------

    private static final int PARAMS = 100_003;
    /** Row length of the per-step gradients: a multiple of 64, so that every step's slice stays aligned. */
    private static final int GRAD_STRIDE = 100_032;

    private static void optimizers(List<Case> cases) {
        cases.add(sgd(0.1f, new SgdSettings(0, false, 0, false)));
        cases.add(sgd(0.05f, new SgdSettings(0.9f, false, 0, false)));
        cases.add(sgd(0.05f, new SgdSettings(0.9f, true, 1e-2f, false)));
        cases.add(sgd(0.1f, new SgdSettings(0, false, 1e-2f, false)));
        cases.add(sgd(0.05f, new SgdSettings(0.9f, true, 1e-2f, true)));
        cases.add(sgd(0.1f, new SgdSettings(0, false, 1e-2f, true)));
        // epsilon 1e-3 in the warm cases: large enough against sqrt(v) that a kernel adding it in the other place fails
        for (AdamEpsilon placement : AdamEpsilon.values()) {
            cases.add(adam("adam from zero state", placement, 1e-8f, false, 0, 1, false));
            cases.add(adam("adam + L2", placement, 1e-3f, false, 0.01f, 3, true));
            cases.add(adam("adamw", placement, 1e-3f, true, 0.01f, 10, true));
        }
        // the device's halt flag: set, the updates write nothing; clear, they run as without it
        for (float halt : new float[] {1f, 0f}) {
            cases.add(guarded(halt));
        }
    }

    private static Case guarded(float halt) {
        String shape = "[" + PARAMS + "] adam then sgd with momentum, halt = " + halt;
        return new Case("adamUpdate and sgdUpdate with a halt flag", shape, r -> new Setup()
                .inout("param", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1), halt != 0 ? Tolerance.exact()
                        : Tolerance.relative())
                .input("grad", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1))
                .inout("m", Shape.of(PARAMS), uniform(r, PARAMS, -0.1f, 0.1f), Tolerance.relative())
                .inout("v", Shape.of(PARAMS), uniform(r, PARAMS, 0, 0.01f), Tolerance.relative())
                .inout("velocity", Shape.of(PARAMS), uniform(r, PARAMS, -0.1f, 0.1f), Tolerance.relative())
                .input("halt", Shape.of(1), new float[] {halt})
                .input("step", StepScalars.shape(), StepScalars.of(1e-3f, 4, 0))
                .run((b, t) -> {
                    b.adamUpdate(t.get("param"), t.get("grad"), t.get("m"), t.get("v"), t.get("step"), t.get("halt"),
                            new AdamSettings(0.9f, 0.999f, 1e-8f, AdamEpsilon.KERAS, 0, false));
                    b.sgdUpdate(t.get("param"), t.get("grad"), t.get("velocity"), t.get("step"), t.get("halt"),
                            new SgdSettings(0.9f, false, 0, false));
                    return NONE;
                }));
    }

    /** {@code steps} updates, one step scalars row each: the learning rate of step i is {@code lr} * (i + 1). */
    private static float[] stepScalarRows(int steps, float lr, long firstStep) {
        float[] rows = new float[steps * StepScalars.SIZE];
        for (int i = 0; i < steps; i++) {
            System.arraycopy(StepScalars.of(lr * (i + 1), firstStep + i, 0), 0, rows, i * StepScalars.SIZE,
                    StepScalars.SIZE);
        }
        return rows;
    }

    private static Tensor stepScalarsOf(Tensor rows, int step) {
        return rows.slice((long) step * StepScalars.SIZE, StepScalars.shape(), "step scalars " + step);
    }

    private static Case sgd(float lr, SgdSettings settings) {
        int steps = 3;
        String shape = "[" + PARAMS + "] x" + steps + " lr=" + lr + ".." + lr * steps + " momentum="
                + settings.momentum() + (settings.nesterov() ? " nesterov" : "") + " wd=" + settings.weightDecay()
                + (settings.decoupled() ? " decoupled" : "");
        boolean withVelocity = settings.momentum() != 0;
        return new Case("sgdUpdate", shape, r -> {
            Setup s = new Setup()
                    .inout("param", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1), Tolerance.relative())
                    .input("grads", Shape.of(steps, GRAD_STRIDE), uniform(r, steps * GRAD_STRIDE, -1, 1))
                    .input("steps", Shape.of(steps, StepScalars.SIZE), stepScalarRows(steps, lr, 1));
            if (withVelocity) {
                s.inout("velocity", Shape.of(PARAMS), uniform(r, PARAMS, -0.1f, 0.1f), Tolerance.relative());
            }
            return s.run((b, t) -> {
                for (int i = 0; i < steps; i++) {
                    b.sgdUpdate(t.get("param"), gradOfStep(t.get("grads"), i), withVelocity ? t.get("velocity") : null,
                            stepScalarsOf(t.get("steps"), i), settings);
                }
                return NONE;
            });
        });
    }

    private static Case adam(String name, AdamEpsilon placement, float epsilon, boolean decoupled, float weightDecay,
                             int firstStep, boolean warmState) {
        int steps = 5;
        return new Case("adamUpdate", "[" + PARAMS + "] " + name + " eps " + epsilon + " (" + placement.configName()
                + ") steps " + firstStep + ".." + (firstStep + steps - 1), r -> new Setup()
                .inout("param", Shape.of(PARAMS), uniform(r, PARAMS, -1, 1), Tolerance.relative())
                .input("grads", Shape.of(steps, GRAD_STRIDE), uniform(r, steps * GRAD_STRIDE, -1, 1))
                .inout("m", Shape.of(PARAMS), warmState ? uniform(r, PARAMS, -0.1f, 0.1f) : new float[PARAMS],
                        Tolerance.relative())
                .inout("v", Shape.of(PARAMS), warmState ? uniform(r, PARAMS, 0, 0.01f) : new float[PARAMS],
                        Tolerance.relative())
                .input("steps", Shape.of(steps, StepScalars.SIZE), stepScalarRows(steps, 1e-3f, firstStep))
                .run((b, t) -> {
                    AdamSettings settings = new AdamSettings(0.9f, 0.999f, epsilon, placement, weightDecay, decoupled);
                    for (int i = 0; i < steps; i++) {
                        b.adamUpdate(t.get("param"), gradOfStep(t.get("grads"), i), t.get("m"), t.get("v"),
                                stepScalarsOf(t.get("steps"), i), settings);
                    }
                    return NONE;
                }));
    }

    private static Tensor gradOfStep(Tensor grads, int step) {
        return grads.slice((long) step * grads.dim(1), Shape.of(PARAMS), "grad " + step);
    }

    // ---- reductions and metrics -------------------------------------------------------------------------------

    private static void reductions(List<Case> cases) {
        for (Shape s : new Shape[] {Shape.of(300_001), Shape.of(1), Shape.of(0), Shape.of(1000, 33)}) {
            cases.add(new Case("sum", s.toString(), r -> {
                float[] x = uniform(r, (int) s.size(), -1, 1);
                return new Setup()
                        .input("x", s, x)
                        .scalar("sum", Tolerance.scaled(Tolerance.FP32_BOUND, absSum(x)))
                        .run((b, t) -> new float[] {b.sum(t.get("x"))});
            }));
        }
        for (Shape s : new Shape[] {Shape.of(300_001), Shape.of(7), Shape.of(0)}) {
            cases.add(new Case("mean", s.toString(), r -> {
                float[] x = uniform(r, (int) s.size(), -1, 1);
                return new Setup()
                        .input("x", s, x)
                        .scalar("mean", Tolerance.scaled(Tolerance.FP32_BOUND, absSum(x) / x.length))
                        .run((b, t) -> new float[] {b.mean(t.get("x"))});
            }));
        }
        for (Shape s : new Shape[] {Shape.of(257, 33), Shape.of(7, 4097), Shape.of(1000, 1), Shape.of(0, 5)}) {
            cases.add(new Case("argmax", s.toString(), r -> new Setup()
                    .input("x", s, uniform(r, (int) s.size(), -1, 1))
                    .output("indices", Shape.of(s.dim(0)), Tolerance.exact())
                    .run((b, t) -> {
                        b.argmax(t.get("indices"), t.get("x"));
                        return NONE;
                    })));
        }
        for (Shape s : new Shape[] {Shape.of(257, 33), Shape.of(1000, 10)}) {
            cases.add(accuracy(s, false));
        }
        cases.add(accuracy(Shape.of(129, 10), true));
        for (Shape s : new Shape[] {Shape.of(300_001), Shape.of(0)}) {
            cases.add(new Case("sum into a tensor", s.toString(), r -> {
                float[] x = uniform(r, (int) s.size(), -1, 1);
                return new Setup()
                        .input("x", s, x)
                        .output("result", Shape.of(1), Tolerance.scaled(Tolerance.FP32_BOUND, absSum(x)))
                        .run((b, t) -> {
                            b.sum(t.get("result"), t.get("x"));
                            return NONE;
                        });
            }));
        }
        Shape scores = Shape.of(1000, 10);
        cases.add(new Case("accuracyCount into a tensor", scores + " class labels", r -> new Setup()
                .input("scores", scores, uniform(r, (int) scores.size(), -1, 1))
                .input("labels", Shape.of(scores.dim(0)), labels(r, scores.dim(0), scores.dim(1)))
                .output("count", Shape.of(1), Tolerance.exact())
                .run((b, t) -> {
                    b.accuracyCount(t.get("count"), t.get("scores"), t.get("labels"));
                    return NONE;
                })));
        // finite, a NaN, an infinity (at a random place of a large tensor), and a flag already set by an earlier call
        float[][] planted = {{}, {Float.NaN}, {Float.NEGATIVE_INFINITY}};
        for (float[] bad : planted) {
            for (float before : new float[] {0f, 1f}) {
                String what = (bad.length == 0 ? "all finite" : "one " + bad[0]) + ", halt before " + before;
                cases.add(new Case("flagNonFinite", "[" + LARGE + "] " + what, r -> {
                    float[] x = uniform(r, LARGE, -1, 1);
                    if (bad.length > 0) {
                        x[r.nextInt(LARGE)] = bad[0];
                    }
                    return new Setup()
                            .input("x", Shape.of(LARGE), x)
                            .inout("halt", Shape.of(1), new float[] {before}, Tolerance.exact())
                            .run((b, t) -> {
                                b.flagNonFinite(t.get("halt"), t.get("x"));
                                return NONE;
                            });
                }));
            }
        }
    }

    /** Scores with about half the rows' argmax equal to the label, so that the count is neither 0 nor n. */
    private static Case accuracy(Shape s, boolean oneHot) {
        int n = s.dim(0);
        int k = s.dim(1);
        return new Case("accuracyCount", s + (oneHot ? " one-hot labels" : " class labels"), r -> {
            float[] scores = uniform(r, n * k, -1, 1);
            float[] labels = labels(r, n, k);
            for (int row = 0; row < n; row++) {
                if (r.nextBoolean()) {
                    int best = 0;
                    for (int j = 1; j < k; j++) {
                        if (scores[row * k + j] > scores[row * k + best]) {
                            best = j;
                        }
                    }
                    labels[row] = best;
                }
            }
            Setup setup = new Setup().input("scores", s, scores);
            if (oneHot) {
                setup.input("labels", s, oneHot(labels, k));
            } else {
                setup.input("labels", Shape.of(n), labels);
            }
            return setup.scalar("count", Tolerance.exact())
                    .run((b, t) -> new float[] {b.accuracyCount(t.get("scores"), t.get("labels"))});
        });
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
    private static float[] distinct(Random r, int n) {
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

    private static float[] labels(Random r, int n, int k) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = r.nextInt(k);
        }
        return a;
    }

    private static float[] oneHot(float[] labels, int k) {
        float[] t = new float[labels.length * k];
        for (int i = 0; i < labels.length; i++) {
            t[i * k + (int) labels[i]] = 1f;
        }
        return t;
    }

    private static double absSum(float[] x) {
        double s = 0;
        for (float v : x) {
            s += Math.abs(v);
        }
        return s;
    }
}
