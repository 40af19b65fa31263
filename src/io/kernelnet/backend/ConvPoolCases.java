package io.kernelnet.backend;

import static io.kernelnet.backend.CrossCheckCases.NONE;
import static io.kernelnet.backend.CrossCheckCases.distinct;
import static io.kernelnet.backend.CrossCheckCases.uniform;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.backend.Numerics.GemmPrecision;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The cross-check cases of convolution and pooling (kernels/conv2d.cu, kernels/pool2d.cu, cuDNN): the seed
 * models' shapes and the edges of padding, stride and dilation. Bounds: {@link CrossCheck}.
 */
final class ConvPoolCases {
    private ConvPoolCases() {
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
    static void convolution(List<Case> cases) {
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
    static void pooling(List<Case> cases, boolean inCpuOrder) {
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
}
