package io.kernelnet.backend.cpu;

import static io.kernelnet.testing.Refusals.assertRefusedBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.GradientChecker;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.TestRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Max and average pooling of the CPU reference backend, and the pooling geometry. */
class PoolTest {
    /** The mean is summed in double and rounded once. */
    private static final double ATOL = 1e-6;
    private static final double RTOL = 1e-6;
    /** Spacing of max-pool test inputs: far above twice the gradient step, so no perturbation changes a winner. */
    private static final float GAP = 0.05f;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final Backend cpu = new CpuBackend();

    /** Small shapes covering odd sizes, a 2x3 window, stride > 1, overlap, asymmetric padding, batch > 1. */
    static Stream<Arguments> geometries() {
        return Stream.of(
                Arguments.of("2x3 window, stride 2, odd sizes",
                        new Pool2dGeometry(2, 3, 5, 7, 2, 3, 2, 2, Padding.NONE)),
                Arguments.of("3x3 window, stride 1, overlapping, padded all round",
                        new Pool2dGeometry(2, 2, 4, 5, 3, 3, 1, 1, new Padding(1, 1, 1, 1))),
                Arguments.of("2x2 window, stride 2, 'same' (pad bottom/right)",
                        new Pool2dGeometry(1, 2, 5, 5, 2, 2, 2, 2, Padding.same(5, 5, 2, 2, 2, 2, 1, 1))),
                Arguments.of("3x2 window, stride 1x2, asymmetric padding",
                        new Pool2dGeometry(2, 1, 6, 5, 3, 2, 1, 2, new Padding(2, 0, 0, 1))));
    }

    // ---- known values ------------------------------------------------------------------------------------------

    @Test
    void poolsA4x4InTwoByTwoWindows() {
        float[] x = {
            1, 8, 2, 3,
            5, 4, 9, 0,
            7, 6, 1, 2,
            3, 2, 5, 8};
        Pool2dGeometry g = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, Padding.NONE);
        Tensor y = OffsetTensors.output(Shape.of(1, 1, 2, 2));
        Tensor argmax = OffsetTensors.output(Shape.of(1, 1, 2, 2));
        cpu.maxPool2dForward(y, argmax, OffsetTensors.of(x, Shape.of(1, 1, 4, 4)), g);
        assertArrayEquals(new float[] {8, 9, 7, 8}, y.toArray());
        assertArrayEquals(new float[] {1, 6, 8, 15}, argmax.toArray(), "argmax = ih * 4 + iw");
        OffsetTensors.assertNothingWrittenOutside("y", y);
        OffsetTensors.assertNothingWrittenOutside("argmax", argmax);

        Tensor mean = OffsetTensors.output(Shape.of(1, 1, 2, 2));
        cpu.avgPool2dForward(mean, OffsetTensors.of(x, Shape.of(1, 1, 4, 4)), g);
        assertArrayEquals(new float[] {18 / 4f, 14 / 4f, 18 / 4f, 16 / 4f}, mean.toArray());
        OffsetTensors.assertNothingWrittenOutside("mean", mean);
    }

    /** A max-pool's output and the index of each window's maximum. */
    private record MaxPooled(Tensor y, Tensor argmax) {
    }

    /** The reference's max-pool of {@code x} (of g's input shape) into fresh tensors. */
    private MaxPooled maxPool(Pool2dGeometry g, float[] x) {
        Tensor y = Tensor.zeros(g.outputShape());
        Tensor argmax = Tensor.zeros(g.outputShape());
        cpu.maxPool2dForward(y, argmax, Tensor.wrap(x, g.inputShape()), g);
        return new MaxPooled(y, argmax);
    }

    @Test
    void theFirstMaximumWinsATie() {
        Pool2dGeometry g = new Pool2dGeometry(1, 2, 2, 2, 2, 2, 1, 1, Padding.NONE);
        MaxPooled pooled = maxPool(g, new float[] {0, 5, 5, 5, 3, 3, 3, 3});
        assertArrayEquals(new float[] {5, 3}, pooled.y().toArray());
        assertArrayEquals(new float[] {1, 0}, pooled.argmax().toArray());
    }

    @Test
    void theFirstNaNInAWindowWinsAsInPyTorch() {
        Pool2dGeometry g = new Pool2dGeometry(1, 1, 2, 2, 2, 2, 1, 1, Padding.NONE);
        MaxPooled pooled = maxPool(g, new float[] {1, Float.NaN, 3, Float.NaN});
        float y = pooled.y().toArray()[0];
        assertTrue(Float.isNaN(y), "a NaN input must reach the output, got " + y);
        assertArrayEquals(new float[] {1}, pooled.argmax().toArray());
    }

    @Test
    void paddedPositionsNeverWinAMax() {
        // 3x3 windows with one padded row/column all round over negative values: a padded zero would win everywhere
        float[] positive = {
            5, 1, 7, 3,
            2, 8, 4, 6,
            9, 12, 10, 11,
            16, 13, 15, 14};
        float[] x = new float[16];
        for (int i = 0; i < 16; i++) {
            x[i] = -positive[i];
        }
        Pool2dGeometry g = new Pool2dGeometry(1, 1, 4, 4, 3, 3, 1, 1, Padding.same(4, 4, 3, 3, 1, 1, 1, 1));
        MaxPooled pooled = maxPool(g, x);
        // each output is minus the smallest positive value in its clipped window
        assertArrayEquals(new float[] {
            -1, -1, -1, -3,
            -1, -1, -1, -3,
            -2, -2, -4, -4,
            -9, -9, -10, -10}, pooled.y().toArray());
        assertArrayEquals(new float[] {
            1, 1, 1, 3,
            1, 1, 1, 3,
            4, 4, 6, 6,
            8, 8, 10, 10}, pooled.argmax().toArray());
    }

    @Test
    void averagesOnlyTheUnpaddedPartOfSamePaddedWindows() {
        Padding same = Padding.same(5, 5, 2, 2, 2, 2, 1, 1);
        assertEquals(new Padding(0, 1, 0, 1), same, "5 -> 3 outputs: one padded row/column at the bottom/right");
        float[] x = new float[25];
        for (int i = 0; i < 25; i++) {
            x[i] = i + 1;
        }
        Pool2dGeometry g = new Pool2dGeometry(1, 1, 5, 5, 2, 2, 2, 2, same);
        Tensor y = Tensor.zeros(g.outputShape());
        cpu.avgPool2dForward(y, Tensor.wrap(x, Shape.of(1, 1, 5, 5)), g);
        // windows: rows {0,1} {2,3} {4}, columns alike; the last row/column averages 2 values, the corner 1
        assertArrayEquals(new float[] {
            (1 + 2 + 6 + 7) / 4f, (3 + 4 + 8 + 9) / 4f, (5 + 10) / 2f,
            (11 + 12 + 16 + 17) / 4f, (13 + 14 + 18 + 19) / 4f, (15 + 20) / 2f,
            (21 + 22) / 2f, (23 + 24) / 2f, 25}, y.toArray());

        // backward with dy = 1: each input gets 1 / (the size of its window)
        Tensor dx = OffsetTensors.output(Shape.of(1, 1, 5, 5));
        float[] ones = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        cpu.avgPool2dBackward(dx, OffsetTensors.of(ones, Shape.of(1, 1, 3, 3)), g);
        float q = 0.25f;
        float h = 0.5f;
        assertArrayEquals(new float[] {
            q, q, q, q, h,
            q, q, q, q, h,
            q, q, q, q, h,
            q, q, q, q, h,
            h, h, h, h, 1}, dx.toArray());
        OffsetTensors.assertNothingWrittenOutside("dx", dx);
    }

    @Test
    void maxBackwardZeroesThenAccumulatesOverlappingWindows() {
        // windows {1, 3} and {3, 2} both pick the 3
        Pool2dGeometry g = new Pool2dGeometry(1, 1, 1, 3, 1, 2, 1, 1, Padding.NONE);
        MaxPooled pooled = maxPool(g, new float[] {1, 3, 2});
        assertArrayEquals(new float[] {1, 1}, pooled.argmax().toArray());
        Tensor dx = OffsetTensors.output(Shape.of(1, 1, 1, 3));
        cpu.maxPool2dBackward(dx, OffsetTensors.of(new float[] {10, 20}, Shape.of(1, 1, 1, 2)),
                Tensor.wrap(new float[] {1, 3, 2}, Shape.of(1, 1, 1, 3)), pooled.y(), pooled.argmax(), g);
        assertArrayEquals(new float[] {0, 30, 0}, dx.toArray());
        OffsetTensors.assertNothingWrittenOutside("dx", dx);
    }

    // ---- the independent formula on random inputs ----------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void forwardMatchesTheDefinitionAtOffsets(String name, Pool2dGeometry g) {
        float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
        double[][] expected = definition(x, g);
        Tensor y = OffsetTensors.output(g.outputShape());
        Tensor argmax = OffsetTensors.output(g.outputShape());
        Tensor mean = OffsetTensors.output(g.outputShape());
        cpu.maxPool2dForward(y, argmax, OffsetTensors.of(x, g.inputShape()), g);
        cpu.avgPool2dForward(mean, OffsetTensors.of(x, g.inputShape()), g);
        Compare.assertClose("max, " + name, expected[0], y.toArray(), 0, 0);
        Compare.assertClose("argmax, " + name, expected[1], argmax.toArray(), 0, 0);
        Compare.assertClose("mean, " + name, expected[2], mean.toArray(), ATOL, RTOL);
        OffsetTensors.assertNothingWrittenOutside("y", y);
        OffsetTensors.assertNothingWrittenOutside("argmax", argmax);
        OffsetTensors.assertNothingWrittenOutside("mean", mean);
    }

    // ---- gradients ---------------------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void maxBackwardIsTheGradientOfMaxPool(String name, Pool2dGeometry g) {
        float[] x = rng.distinct((int) g.inputShape().size(), GAP);
        float[] dy = rng.uniform((int) g.outputShape().size(), -1, 1);
        Tensor y = Tensor.zeros(g.outputShape());
        Tensor argmax = OffsetTensors.of(new float[(int) g.outputShape().size()], g.outputShape());
        cpu.maxPool2dForward(y, argmax, Tensor.wrap(x, g.inputShape()), g);
        Tensor dx = OffsetTensors.output(g.inputShape());
        cpu.maxPool2dBackward(dx, OffsetTensors.of(dy, g.outputShape()), Tensor.wrap(x, g.inputShape()), y, argmax, g);
        OffsetTensors.assertNothingWrittenOutside("dx", dx);

        Tensor scratch = Tensor.zeros(g.outputShape());
        GradientChecker.check("maxPool dx, " + name, x, dx.toArray(), () -> {
            cpu.maxPool2dForward(y, scratch, Tensor.wrap(x, g.inputShape()), g);
            return GradientChecker.weightedSum(dy, y.toArray());
        }, GradientChecker.DEFAULT_STEP, GradientChecker.DEFAULT_TOLERANCE);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("geometries")
    void avgBackwardIsTheGradientOfAvgPool(String name, Pool2dGeometry g) {
        float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
        float[] dy = rng.uniform((int) g.outputShape().size(), -1, 1);
        Tensor dx = OffsetTensors.output(g.inputShape());
        cpu.avgPool2dBackward(dx, OffsetTensors.of(dy, g.outputShape()), g);
        OffsetTensors.assertNothingWrittenOutside("dx", dx);

        Tensor y = Tensor.zeros(g.outputShape());
        GradientChecker.check("avgPool dx, " + name, x, dx.toArray(), () -> {
            cpu.avgPool2dForward(y, Tensor.wrap(x, g.inputShape()), g);
            return GradientChecker.weightedSum(dy, y.toArray());
        }, GradientChecker.DEFAULT_STEP, GradientChecker.DEFAULT_TOLERANCE);
    }

    // ---- refused calls and geometry ------------------------------------------------------------------------------

    @Test
    void refusesWrongShapesAndBadArgmaxNamingOpAndValues() {
        Pool2dGeometry g = new Pool2dGeometry(2, 3, 4, 4, 2, 2, 2, 2, Padding.NONE);
        Tensor x = Tensor.zeros(g.inputShape());
        Tensor y = Tensor.zeros(g.outputShape());
        assertRefusedBy("maxPool2dForward", () -> cpu.maxPool2dForward(y, Tensor.zeros(Shape.of(2, 3, 4)), x, g),
                "argmax", "[2, 3, 4]", "[2, 3, 2, 2]");
        assertRefusedBy("maxPool2dForward", () -> cpu.maxPool2dForward(Tensor.zeros(Shape.of(2, 3, 3, 3)), y, x, g),
                "output", "[2, 3, 3, 3]", "[2, 3, 2, 2]");
        assertRefusedBy("maxPool2dForward", () -> cpu.maxPool2dForward(y, y, Tensor.zeros(Shape.of(1, 3, 4, 4)), g),
                "input", "[1, 3, 4, 4]", "[2, 3, 4, 4]");
        assertRefusedBy("avgPool2dForward", () -> cpu.avgPool2dForward(y, Tensor.zeros(Shape.of(2, 2, 4, 4)), g),
                "input", "[2, 2, 4, 4]");
        assertRefusedBy("avgPool2dBackward", () -> cpu.avgPool2dBackward(x, Tensor.zeros(Shape.of(2, 3, 2, 3)), g),
                "output", "[2, 3, 2, 3]");
        assertRefusedBy("maxPool2dBackward", () -> cpu.maxPool2dBackward(Tensor.zeros(Shape.of(2, 3, 4, 5)), y, x, y, y, g),
                "input", "[2, 3, 4, 5]");

        Tensor outOfPlane = Tensor.zeros(g.outputShape());
        cpu.fill(outOfPlane, 16);
        assertRefusedBy("maxPool2dBackward", () -> cpu.maxPool2dBackward(x, y, x, y, outOfPlane, g),
                "argmax 16.0", "4x4 input plane");
        Tensor fractional = Tensor.zeros(g.outputShape());
        cpu.fill(fractional, 1.5f);
        assertRefusedBy("maxPool2dBackward", () -> cpu.maxPool2dBackward(x, y, x, y, fractional, g), "argmax 1.5");
        assertRefusedBy("maxPool2dBackward", () -> cpu.maxPool2dBackward(x, y, y, y, y, g), "x", "[2, 3, 2, 2]",
                "[2, 3, 4, 4]");
        assertRefusedBy("maxPool2dBackward", () -> cpu.maxPool2dBackward(x, y, x, x, y, g), "y", "[2, 3, 4, 4]",
                "[2, 3, 2, 2]");
    }

    @Test
    void geometryRefusesNonPositiveSizesAndOversizedPadding() {
        assertRefusedBy("pool2d", () -> new Pool2dGeometry(1, 0, 4, 4, 2, 2, 2, 2, Padding.NONE), "c=0");
        assertRefusedBy("pool2d", () -> new Pool2dGeometry(1, 1, 4, 4, 0, 2, 2, 2, Padding.NONE), "window=0x2");
        assertRefusedBy("pool2d", () -> new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, -1, Padding.NONE), "stride=2x-1");
        assertRefusedBy("pool2d", () -> new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, new Padding(2, 0, 0, 0)),
                "smaller than the window 2x2");
        assertRefusedBy("pool2d", () -> new Pool2dGeometry(1, 1, 2, 2, 3, 3, 1, 1, Padding.NONE),
                "larger than the padded input 2x2");
    }

    /**
     * {max, argmax, mean} of every window straight from the definition: each tap with a bounds test, the first
     * strictly greater value wins.
     */
    private static double[][] definition(float[] x, Pool2dGeometry g) {
        int outputs = (int) g.outputShape().size();
        double[][] result = {new double[outputs], new double[outputs], new double[outputs]};
        int at = 0;
        for (int plane = 0; plane < g.n() * g.c(); plane++) {
            for (int oh = 0; oh < g.outH(); oh++) {
                for (int ow = 0; ow < g.outW(); ow++, at++) {
                    double max = Double.NEGATIVE_INFINITY;
                    int argmax = -1;
                    double sum = 0;
                    int count = 0;
                    for (int i = 0; i < g.kh(); i++) {
                        for (int j = 0; j < g.kw(); j++) {
                            int ih = oh * g.strideH() - g.pad().top() + i;
                            int iw = ow * g.strideW() - g.pad().left() + j;
                            if (ih >= 0 && ih < g.h() && iw >= 0 && iw < g.w()) {
                                float v = x[plane * g.h() * g.w() + ih * g.w() + iw];
                                if (v > max) {
                                    max = v;
                                    argmax = ih * g.w() + iw;
                                }
                                sum += v;
                                count++;
                            }
                        }
                    }
                    result[0][at] = max;
                    result[1][at] = argmax;
                    result[2][at] = sum / count;
                }
            }
        }
        return result;
    }
}
