package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefused;
import static io.kernelnet.testing.Refusals.assertRefusedBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** conv2d forward, backwardData and backwardFilter of the CPU reference backend, and the geometry records. */
class ConvTest {
    /** Both sides sum in double and round once. */
    private static final double ATOL = 1e-5;
    private static final double RTOL = 1e-5;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final Backend cpu = new CpuBackend();

    /** Small shapes covering odd sizes, a 2x3 kernel, stride > 1, asymmetric padding, dilation 2, batch > 1. */
    static Stream<Arguments> geometries() {
        return Stream.of(
                Arguments.of("3x3 valid, cIn 2, cOut 3",
                        new Conv2dGeometry(2, 2, 5, 5, 3, 3, 3, 1, 1, Padding.NONE, 1, 1)),
                Arguments.of("2x3 kernel, stride 2x1, asymmetric padding",
                        new Conv2dGeometry(2, 3, 7, 6, 2, 2, 3, 2, 1, new Padding(0, 1, 1, 2), 1, 1)),
                Arguments.of("3x2 kernel, dilation 2, 'same'",
                        new Conv2dGeometry(1, 2, 6, 7, 2, 3, 2, 1, 1, Padding.same(6, 7, 3, 2, 1, 1, 2, 2), 2, 2)),
                Arguments.of("2x2 kernel, stride 2, 'same' (pad bottom/right)",
                        new Conv2dGeometry(3, 1, 5, 5, 2, 2, 2, 2, 2, Padding.same(5, 5, 2, 2, 2, 2, 1, 1), 1, 1)),
                Arguments.of("1x1 kernel, stride 3x2",
                        new Conv2dGeometry(2, 3, 7, 5, 2, 1, 1, 3, 2, Padding.NONE, 1, 1)),
                Arguments.of("4x3 kernel spanning the padded height, stride 2, dilation 1x2",
                        new Conv2dGeometry(2, 2, 3, 7, 2, 4, 3, 2, 2, new Padding(1, 0, 2, 0), 1, 2)));
    }

    // ---- known values ------------------------------------------------------------------------------------------

    @Test
    void crossCorrelatesA3x3ImageWithA2x2Kernel() {
        // x = [1 2 3; 4 5 6; 7 8 9], w = [1 2; 3 4], not flipped: y[0][0] = 1*1 + 2*2 + 4*3 + 5*4 = 37
        Tensor x = Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape.of(1, 1, 3, 3));
        Tensor w = Tensor.wrap(new float[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2));
        Tensor y = OffsetTensors.output(Shape.of(1, 1, 2, 2));
        cpu.conv2dForward(y, x, w, Conv2dGeometry.of(1, 1, 3, 3, 1, 2, 2, Padding.NONE));
        assertArrayEquals(new float[] {37, 47, 67, 77}, y.toArray());
        OffsetTensors.assertNothingWrittenOutside("y", y);
    }

    @Test
    void samePaddingWithAnEvenKernelPadsBottomAndRight() {
        Padding same = Padding.same(5, 5, 2, 2, 1, 1, 1, 1);
        assertEquals(new Padding(0, 1, 0, 1), same);
        // x[i][j] = 5i + j + 1, w = [1 2; 3 4]: inside, y = v + 2(v+1) + 3(v+5) + 4(v+6) = 10v + 41 with v = x[i][j];
        // the last column sees only v + 3(v+5), the last row v + 2(v+1), the corner v alone
        float[] x = new float[25];
        for (int i = 0; i < 25; i++) {
            x[i] = i + 1;
        }
        Tensor y = Tensor.zeros(Shape.of(1, 1, 5, 5));
        cpu.conv2dForward(y, Tensor.wrap(x, Shape.of(1, 1, 5, 5)),
                Tensor.wrap(new float[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2)),
                Conv2dGeometry.of(1, 1, 5, 5, 1, 2, 2, same));
        assertArrayEquals(new float[] {
            51, 61, 71, 81, 35,
            101, 111, 121, 131, 55,
            151, 161, 171, 181, 75,
            201, 211, 221, 231, 95,
            65, 68, 71, 74, 25}, y.toArray());
    }

    @Test
    void stridesAndDilatesTheKernel() {
        // x[i][j] = 5i + j + 1, w = [1 2; 3 4] dilated by 2 (taps 2 apart), stride 2: out 2x2,
        // y = v + 2(v+2) + 3(v+10) + 4(v+12) = 10v + 82 with v = x[2oh][2ow]
        float[] x = new float[25];
        for (int i = 0; i < 25; i++) {
            x[i] = i + 1;
        }
        Tensor y = Tensor.zeros(Shape.of(1, 1, 2, 2));
        cpu.conv2dForward(y, Tensor.wrap(x, Shape.of(1, 1, 5, 5)),
                Tensor.wrap(new float[] {1, 2, 3, 4}, Shape.of(1, 1, 2, 2)),
                new Conv2dGeometry(1, 1, 5, 5, 1, 2, 2, 2, 2, Padding.NONE, 2, 2));
        assertArrayEquals(new float[] {92, 112, 192, 212}, y.toArray());
    }

    @Test
    void sumsOverInputChannelsForEachOutputChannel() {
        // 1x1 kernel: y[co] = sum over ci of w[co, ci] * x[ci]
        Tensor x = Tensor.wrap(new float[] {1, 2, 3, 4, 10, 20, 30, 40}, Shape.of(1, 2, 2, 2));
        Tensor w = Tensor.wrap(new float[] {1, 0.5f, -1, 2}, Shape.of(2, 2, 1, 1));
        Tensor y = Tensor.zeros(Shape.of(1, 2, 2, 2));
        cpu.conv2dForward(y, x, w, Conv2dGeometry.of(1, 2, 2, 2, 2, 1, 1, Padding.NONE));
        assertArrayEquals(new float[] {6, 12, 18, 24, 19, 38, 57, 76}, y.toArray());
    }

    // ---- the independent formula on random inputs ----------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void forwardMatchesTheDefinitionAtOffsets(String name, Conv2dGeometry g) {
        float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
        float[] w = rng.uniform((int) g.weightShape().size(), -1, 1);
        Tensor y = OffsetTensors.output(g.outputShape());
        cpu.conv2dForward(y, OffsetTensors.of(x, g.inputShape()), OffsetTensors.of(w, g.weightShape()), g);
        Compare.assertClose(name, definition(x, w, g), y.toArray(), ATOL, RTOL);
        OffsetTensors.assertNothingWrittenOutside("y", y);
    }

    // ---- gradients ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void backwardDataIsTheGradientWithRespectToTheInput(String name, Conv2dGeometry g) {
        float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
        float[] w = rng.uniform((int) g.weightShape().size(), -1, 1);
        float[] dy = rng.uniform((int) g.outputShape().size(), -1, 1);
        Tensor dx = OffsetTensors.output(g.inputShape());
        cpu.conv2dBackwardData(dx, OffsetTensors.of(dy, g.outputShape()), OffsetTensors.of(w, g.weightShape()), g);
        OffsetTensors.assertNothingWrittenOutside("dx", dx);

        GradientChecker.check("conv2d dx, " + name, x, dx.toArray(), forwardLoss(x, w, dy, g),
                GradientChecker.DEFAULT_STEP, GradientChecker.DEFAULT_TOLERANCE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void backwardFilterIsTheGradientWithRespectToTheWeights(String name, Conv2dGeometry g) {
        float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
        float[] w = rng.uniform((int) g.weightShape().size(), -1, 1);
        float[] dy = rng.uniform((int) g.outputShape().size(), -1, 1);
        Tensor dw = OffsetTensors.output(g.weightShape());
        cpu.conv2dBackwardFilter(dw, OffsetTensors.of(dy, g.outputShape()), OffsetTensors.of(x, g.inputShape()), g);
        OffsetTensors.assertNothingWrittenOutside("dw", dw);

        GradientChecker.check("conv2d dw, " + name, w, dw.toArray(), forwardLoss(x, w, dy, g),
                GradientChecker.DEFAULT_STEP, GradientChecker.DEFAULT_TOLERANCE);
    }

    /**
     * sum(dy * conv2dForward(x, w)) as the gradient checker perturbs x or w in place: its gradients are backwardData
     * and backwardFilter with that dy.
     */
    private DoubleSupplier forwardLoss(float[] x, float[] w, float[] dy, Conv2dGeometry g) {
        Tensor y = Tensor.zeros(g.outputShape());
        return () -> {
            cpu.conv2dForward(y, Tensor.wrap(x, g.inputShape()), Tensor.wrap(w, g.weightShape()), g);
            return GradientChecker.weightedSum(dy, y.toArray());
        };
    }

    @Test
    void backwardPassesAreAdjointsOfTheForwardOnRandomGeometries() {
        // <conv(x, w), dy> = <x, backwardData(dy, w)> = <w, backwardFilter(dy, x)> for every geometry: a tight
        // check, cheap enough to sweep many random strides, paddings and dilations
        for (int trial = 0; trial < 40; trial++) {
            Conv2dGeometry g = randomGeometry();
            float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
            float[] w = rng.uniform((int) g.weightShape().size(), -1, 1);
            float[] dy = rng.uniform((int) g.outputShape().size(), -1, 1);
            Tensor y = Tensor.zeros(g.outputShape());
            Tensor dx = Tensor.zeros(g.inputShape());
            Tensor dw = Tensor.zeros(g.weightShape());
            cpu.conv2dForward(y, Tensor.wrap(x, g.inputShape()), Tensor.wrap(w, g.weightShape()), g);
            cpu.conv2dBackwardData(dx, Tensor.wrap(dy, g.outputShape()), Tensor.wrap(w, g.weightShape()), g);
            cpu.conv2dBackwardFilter(dw, Tensor.wrap(dy, g.outputShape()), Tensor.wrap(x, g.inputShape()), g);
            double forward = GradientChecker.weightedSum(dy, y.toArray());
            double data = GradientChecker.weightedSum(x, dx.toArray());
            double filter = GradientChecker.weightedSum(w, dw.toArray());
            // each side rounds its terms to float once: 1e-6 of the sum of |terms| is ~10x that rounding
            double tolerance = 1e-6 * Math.max(absDot(dy, y.toArray()),
                    Math.max(absDot(x, dx.toArray()), absDot(w, dw.toArray())));
            assertEquals(forward, data, tolerance, "<y, dy> vs <x, dx> for " + g);
            assertEquals(forward, filter, tolerance, "<y, dy> vs <w, dw> for " + g);
        }
    }

    private static double absDot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs((double) a[i] * b[i]);
        }
        return s;
    }

    private Conv2dGeometry randomGeometry() {
        int kh = 1 + rng.nextInt(4);
        int kw = 1 + rng.nextInt(4);
        int dh = 1 + rng.nextInt(3);
        int dw = 1 + rng.nextInt(3);
        Padding pad = new Padding(rng.nextInt(3), rng.nextInt(3), rng.nextInt(3), rng.nextInt(3));
        int minH = Math.max(1, dh * (kh - 1) + 1 - pad.top() - pad.bottom());
        int minW = Math.max(1, dw * (kw - 1) + 1 - pad.left() - pad.right());
        return new Conv2dGeometry(1 + rng.nextInt(3), 1 + rng.nextInt(3), minH + rng.nextInt(6),
                minW + rng.nextInt(6), 1 + rng.nextInt(3), kh, kw, 1 + rng.nextInt(3), 1 + rng.nextInt(3), pad, dh, dw);
    }

    // ---- refused calls and geometry ------------------------------------------------------------------------------

    @Test
    void refusesWrongShapesNamingOpAndShapes() {
        Conv2dGeometry g = Conv2dGeometry.of(2, 3, 5, 5, 4, 3, 3, Padding.NONE);
        Tensor x = Tensor.zeros(g.inputShape());
        Tensor w = Tensor.zeros(g.weightShape());
        Tensor y = Tensor.zeros(g.outputShape());
        assertRefusedBy("conv2dForward", () -> cpu.conv2dForward(y, Tensor.zeros(Shape.of(3, 3, 5, 5)), w, g),
                "input", "[3, 3, 5, 5]", "[2, 3, 5, 5]");
        assertRefusedBy("conv2dForward", () -> cpu.conv2dForward(y, x, Tensor.zeros(Shape.of(4, 2, 3, 3)), g),
                "weights", "[4, 2, 3, 3]", "[4, 3, 3, 3]");
        assertRefusedBy("conv2dForward", () -> cpu.conv2dForward(Tensor.zeros(Shape.of(2, 4, 5, 5)), x, w, g),
                "output", "[2, 4, 5, 5]", "[2, 4, 3, 3]");
        assertRefusedBy("conv2dBackwardData", () -> cpu.conv2dBackwardData(x, Tensor.zeros(Shape.of(1, 4, 3, 3)), w, g),
                "output", "[1, 4, 3, 3]", "[2, 4, 3, 3]");
        assertRefusedBy("conv2dBackwardData", () -> cpu.conv2dBackwardData(Tensor.zeros(Shape.of(2, 3, 6, 5)), y, w, g),
                "input", "[2, 3, 6, 5]");
        assertRefusedBy("conv2dBackwardFilter",
                () -> cpu.conv2dBackwardFilter(Tensor.zeros(Shape.of(4, 3, 2, 2)), y, x, g),
                "weights", "[4, 3, 2, 2]", "[4, 3, 3, 3]");
        assertRefusedBy("conv2dBackwardFilter",
                () -> cpu.conv2dBackwardFilter(w, y, Tensor.zeros(Shape.of(2, 3, 25)), g), "input", "[2, 3, 25]");
    }

    @Test
    void geometryRefusesNonPositiveSizesAndOversizedKernels() {
        assertRefusedBy("conv2d", () -> new Conv2dGeometry(1, 0, 5, 5, 1, 3, 3, 1, 1, Padding.NONE, 1, 1), "cIn=0");
        assertRefusedBy("conv2d", () -> new Conv2dGeometry(-1, 1, 5, 5, 1, 3, 3, 1, 1, Padding.NONE, 1, 1), "n=-1");
        assertRefusedBy("conv2d", () -> new Conv2dGeometry(1, 1, 5, 5, 1, 0, 3, 1, 1, Padding.NONE, 1, 1),
                "kernel=0x3");
        assertRefusedBy("conv2d", () -> new Conv2dGeometry(1, 1, 5, 5, 1, 3, 3, 0, 1, Padding.NONE, 1, 1),
                "stride=0x1");
        assertRefusedBy("conv2d", () -> new Conv2dGeometry(1, 1, 5, 5, 1, 3, 3, 1, 1, Padding.NONE, 1, -2),
                "dilation=1x-2");
        assertRefusedBy("conv2d", () -> new Conv2dGeometry(1, 1, 4, 4, 1, 3, 3, 1, 1, Padding.NONE, 2, 1),
                "larger than the padded input 4x4");
        assertRefused(() -> new Padding(0, -1, 0, 0), "bottom=-1");
    }

    @Test
    void samePaddingMatchesKerasForOddAndEvenTotalsAndStrides() {
        assertEquals(new Padding(1, 1, 1, 1), Padding.same(5, 5, 3, 3, 1, 1, 1, 1), "k3 s1: total 2");
        assertEquals(new Padding(0, 1, 0, 1), Padding.same(5, 5, 2, 2, 1, 1, 1, 1), "k2 s1: total 1, extra bottom");
        assertEquals(new Padding(1, 2, 1, 2), Padding.same(6, 6, 4, 4, 1, 1, 1, 1), "k4 s1: total 3");
        assertEquals(new Padding(1, 1, 0, 1), Padding.same(5, 6, 3, 3, 2, 2, 1, 1), "k3 s2: 5 -> total 2, 6 -> 1");
        assertEquals(new Padding(0, 0, 0, 0), Padding.same(4, 4, 1, 1, 2, 2, 1, 1), "k1 s2 needs none");
        assertEquals(new Padding(2, 2, 1, 1), Padding.same(7, 7, 3, 2, 1, 1, 2, 2), "dilation 2: k3 spans 5, k2 3");
        assertEquals(Padding.NONE, Padding.keras("valid", 5, 5, 3, 3, 1, 1, 1, 1));
        assertEquals(Padding.same(9, 8, 3, 3, 2, 2, 1, 1), Padding.keras("same", 9, 8, 3, 3, 2, 2, 1, 1));
        assertRefused(() -> Padding.keras("full", 5, 5, 3, 3, 1, 1, 1, 1));
        // 'same' keeps ceil(in / stride) outputs
        for (int in = 1; in <= 9; in++) {
            for (int k = 1; k <= 4; k++) {
                for (int s = 1; s <= 3; s++) {
                    Padding p = Padding.same(in, in, k, k, s, s, 1, 1);
                    Conv2dGeometry g = new Conv2dGeometry(1, 1, in, in, 1, k, k, s, s, p, 1, 1);
                    assertEquals((in + s - 1) / s, g.outH(), "in " + in + " k " + k + " s " + s);
                }
            }
        }
    }

    /** y = conv(x, w) straight from the definition: every tap, with a bounds test, in double. */
    private static double[] definition(float[] x, float[] w, Conv2dGeometry g) {
        double[] y = new double[(int) g.outputShape().size()];
        int at = 0;
        for (int s = 0; s < g.n(); s++) {
            for (int co = 0; co < g.cOut(); co++) {
                for (int oh = 0; oh < g.outH(); oh++) {
                    for (int ow = 0; ow < g.outW(); ow++) {
                        double sum = 0;
                        for (int ci = 0; ci < g.cIn(); ci++) {
                            for (int i = 0; i < g.kh(); i++) {
                                for (int j = 0; j < g.kw(); j++) {
                                    int ih = oh * g.strideH() + i * g.dilationH() - g.pad().top();
                                    int iw = ow * g.strideW() + j * g.dilationW() - g.pad().left();
                                    if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                        sum += (double) w[((co * g.cIn() + ci) * g.kh() + i) * g.kw() + j]
                                                * x[((s * g.cIn() + ci) * g.h() + ih) * g.w() + iw];
                                    }
                                }
                            }
                        }
                        y[at++] = sum;
                    }
                }
            }
        }
        return y;
    }
}
