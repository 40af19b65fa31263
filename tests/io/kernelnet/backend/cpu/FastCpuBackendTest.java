package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.OffsetTensors;
import io.kernelnet.testing.Refusals;
import io.kernelnet.testing.TestRandom;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fast CPU path against the reference {@link CpuBackend} on fresh random inputs, with the GEMM kernel the backend
 * picks ({@link VectorGemmKernel} where the JVM has jdk.incubator.vector, as the tests' does; RowGemmKernelTest runs
 * the same checks on the plain-Java kernel).
 *
 * <p>Error bound. The reference sums in double and rounds once, so it is within u = 2^-24 (relative) of the exact
 * result. The fast path sums in float32: each output is a sum of products, and if no product goes through more than
 * T roundings (its multiplication and the additions after it), then whatever the order of the additions,
 * |fl(sum) - sum| <= gamma_T * (sum of |products|) with gamma_T = T*u / (1 - T*u) (Higham, Accuracy and Stability
 * of Numerical Algorithms, 2nd ed., section 3.1). Scaling by alpha and adding beta*c take up to three more roundings.
 * So |fast - ref| <= (gamma_(T+3) + 2u) * magnitude, where magnitude = |alpha| * (|opA| |opB|) + |beta| * |c| per
 * element: the same op on absolute values, computed by the reference (the 2u cover the reference's own rounding
 * and that of the magnitude). The tests use the largest magnitude over the output as the absolute tolerance: sound
 * for every element, yet orders of magnitude below what an indexing mistake (a wrong or missing product) gives.
 * T is stated per op below. Both kernels round each product once into a chain of additions (the vector kernel
 * fuses each multiplication with its addition: fewer roundings), so T is the chain's length.
 */
class FastCpuBackendTest {
    private static final double U = 0x1p-24;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend ref = new CpuBackend();
    private final FastCpuBackend fast = new FastCpuBackend(kernel(), ParallelSlices.DEFAULT);

    /** The GEMM kernel under test. */
    GemmKernel kernel() {
        return FastCpuBackend.fastestKernel();
    }

    /** (gamma_(T+3) + 2u) times the largest magnitude, as explained in the class comment. */
    private static double tolerance(long terms, float[] magnitude) {
        double max = 0;
        for (float m : magnitude) {
            max = Math.max(max, Math.abs(m));
        }
        double roundings = terms + 3;
        return (roundings * U / (1 - roundings * U) + 2 * U) * max;
    }

    private float[] abs(float[] v) {
        float[] a = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            a[i] = Math.abs(v[i]);
        }
        return a;
    }

    // ---- gemm ----------------------------------------------------------------------------------------------------

    /**
     * m, n, k: ones, odd sizes, k below and not a multiple of the row kernel's unroll of 4, m and n not multiples of
     * the vector kernel's 6 x 32 tiles and below them, and sizes past the parallel threshold.
     */
    static Stream<Arguments> gemmSizes() {
        return Stream.of(
                Arguments.of(1, 1, 1), Arguments.of(1, 7, 3), Arguments.of(5, 1, 9), Arguments.of(3, 5, 2),
                Arguments.of(7, 13, 4), Arguments.of(17, 9, 31), Arguments.of(33, 65, 7), Arguments.of(64, 3, 129),
                Arguments.of(128, 64, 576), Arguments.of(128, 10, 64), Arguments.of(93, 101, 67));
    }

    @ParameterizedTest(name = "m={0} n={1} k={2}")
    @MethodSource("gemmSizes")
    void gemmMatchesTheReferenceForAllTransposesAndScalings(int m, int n, int k) {
        float[][] alphaBeta = {{1, 0}, {-1.5f, 0}, {0.75f, 1}, {2, -0.5f}};
        for (boolean transA : new boolean[] {false, true}) {
            for (boolean transB : new boolean[] {false, true}) {
                for (float[] ab : alphaBeta) {
                    checkGemm(m, n, k, transA, transB, ab[0], ab[1]);
                }
            }
        }
    }

    private void checkGemm(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta) {
        Shape aShape = transA ? Shape.of(k, m) : Shape.of(m, k);
        Shape bShape = transB ? Shape.of(n, k) : Shape.of(k, n);
        float[] aData = rng.uniform(m * k, -1, 1);
        float[] bData = rng.uniform(k * n, -2, 2);
        float[] cData = rng.uniform(m * n, -1, 1);
        Tensor expected = Tensor.wrap(cData.clone(), Shape.of(m, n));
        ref.gemm(expected, Tensor.wrap(aData, aShape), transA, Tensor.wrap(bData, bShape), transB, alpha, beta);
        Tensor magnitude = Tensor.wrap(abs(cData), Shape.of(m, n));
        ref.gemm(magnitude, Tensor.wrap(abs(aData), aShape), transA, Tensor.wrap(abs(bData), bShape), transB,
                Math.abs(alpha), Math.abs(beta));

        // beta = 0 must overwrite c without reading it: poison it with NaN
        Tensor c = beta == 0 ? OffsetTensors.output(Shape.of(m, n)) : OffsetTensors.of(cData, Shape.of(m, n));
        fast.gemm(c, OffsetTensors.of(aData, aShape), transA, OffsetTensors.of(bData, bShape), transB, alpha, beta);

        // T = k: a product's multiplication and at most k - 1 additions
        String what = String.format("gemm %dx%dx%d transA=%b transB=%b alpha=%s beta=%s", m, n, k, transA, transB,
                alpha, beta);
        Compare.assertClose(what, expected.toArray(), c.toArray(), tolerance(k, magnitude.toArray()), 0);
        OffsetTensors.assertNothingWrittenOutside(what, c);
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,false", "false,true", "true,false", "true,true"})
    void gemmBatchedMatchesTheReference(boolean transA, boolean transB) {
        int batch = 3;
        int m = 6 + rng.nextInt(20);
        int n = 1 + rng.nextInt(40);
        int k = 1 + rng.nextInt(70);
        Shape aShape = transA ? Shape.of(batch, k, m) : Shape.of(batch, m, k);
        Shape bShape = transB ? Shape.of(batch, n, k) : Shape.of(batch, k, n);
        Shape cShape = Shape.of(batch, m, n);
        float[] aData = rng.uniform((int) aShape.size(), -1, 1);
        float[] bData = rng.uniform((int) bShape.size(), -1, 1);
        float[] cData = rng.uniform((int) cShape.size(), -1, 1);
        for (float beta : new float[] {0, 0.5f}) {
            Tensor expected = Tensor.wrap(cData.clone(), cShape);
            ref.gemmBatched(expected, Tensor.wrap(aData, aShape), transA, Tensor.wrap(bData, bShape), transB, 1.25f,
                    beta);
            Tensor magnitude = Tensor.wrap(abs(cData), cShape);
            ref.gemmBatched(magnitude, Tensor.wrap(abs(aData), aShape), transA, Tensor.wrap(abs(bData), bShape),
                    transB, 1.25f, beta);
            Tensor c = beta == 0 ? OffsetTensors.output(cShape) : OffsetTensors.of(cData, cShape);
            fast.gemmBatched(c, OffsetTensors.of(aData, aShape), transA, OffsetTensors.of(bData, bShape), transB,
                    1.25f, beta);
            String what = "gemmBatched " + m + "x" + n + "x" + k + " beta=" + beta;
            Compare.assertClose(what, expected.toArray(), c.toArray(), tolerance(k, magnitude.toArray()), 0);
            OffsetTensors.assertNothingWrittenOutside(what, c);
        }
    }

    // ---- conv2d -------------------------------------------------------------------------------------------------

    /** The exact layers of the MNIST CNN (examples.MnistModels.cnn) at batch 128: what training runs every step. */
    static final List<Conv2dGeometry> MNIST_CNN = List.of(
            Conv2dGeometry.of(128, 1, 28, 28, 32, 3, 3, Padding.NONE),
            Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE),
            Conv2dGeometry.of(128, 64, 5, 5, 64, 3, 3, Padding.NONE));

    /**
     * Odd sizes, non-square kernels, stride 2, asymmetric padding, dilation 2, cIn/cOut > 1, batches below, at and
     * above the 16 chunks the fast path splits a batch into (and not a multiple of them), and the MNIST CNN's layers.
     * FastConv runs each pass over the patch matrix as columns or as rows depending on K = cIn*kh*kw,
     * P = outH*outW and cOut; among these, each form of each pass meets padding, stride 2 and dilation 2 (forward by
     * rows: the 4 -> 16 case; backwardData by columns: 2x3 kernel, by rows: 5x5 kernel; backwardFilter by columns:
     * the 1 -> 6 case and MNIST conv 1, by rows: the others).
     */
    static Stream<Arguments> convGeometries() {
        return Stream.of(
                Arguments.of("1 sample, 1 channel, 3x3 valid", Conv2dGeometry.of(1, 1, 5, 5, 1, 3, 3, Padding.NONE)),
                Arguments.of("3x3 valid, cIn 2, cOut 3", Conv2dGeometry.of(2, 2, 5, 7, 3, 3, 3, Padding.NONE)),
                Arguments.of("2x3 kernel, stride 2x1, asymmetric padding",
                        new Conv2dGeometry(3, 3, 7, 6, 5, 2, 3, 2, 1, new Padding(0, 1, 1, 2), 1, 1)),
                Arguments.of("3x2 kernel, dilation 2, 'same'",
                        new Conv2dGeometry(2, 2, 6, 7, 4, 3, 2, 1, 1, Padding.same(6, 7, 3, 2, 1, 1, 2, 2), 2, 2)),
                Arguments.of("2x2 kernel, stride 2, 'same' (pad bottom/right)",
                        new Conv2dGeometry(5, 1, 5, 5, 2, 2, 2, 2, 2, Padding.same(5, 5, 2, 2, 2, 2, 1, 1), 1, 1)),
                Arguments.of("1x1 kernel, stride 3x2", new Conv2dGeometry(4, 3, 7, 5, 2, 1, 1, 3, 2, Padding.NONE, 1, 1)),
                Arguments.of("4x3 kernel over the padded height, stride 2, dilation 1x2",
                        new Conv2dGeometry(2, 2, 3, 7, 3, 4, 3, 2, 2, new Padding(1, 0, 2, 0), 1, 2)),
                Arguments.of("5x5 kernel, pad 2 all round, stride 2, dilation 2, 19 samples",
                        new Conv2dGeometry(19, 3, 11, 9, 7, 5, 5, 2, 2, Padding.symmetric(2, 2), 2, 2)),
                Arguments.of("16 samples, 5 channels in, 9 out, 3x3 'same'",
                        Conv2dGeometry.of(16, 5, 8, 9, 9, 3, 3, Padding.same(8, 9, 3, 3, 1, 1, 1, 1))),
                Arguments.of("output 1x1 per sample, 37 samples", Conv2dGeometry.of(37, 4, 3, 3, 6, 3, 3, Padding.NONE)),
                Arguments.of("2x2 kernel, 1 -> 6 channels, stride 2, dilation 2, asymmetric padding",
                        new Conv2dGeometry(3, 1, 9, 8, 6, 2, 2, 2, 2, new Padding(1, 2, 0, 1), 2, 2)),
                Arguments.of("3x3 kernel, 4 -> 16 channels, stride 2, dilation 2, padding top/left/right",
                        new Conv2dGeometry(5, 4, 5, 6, 16, 3, 3, 2, 2, new Padding(2, 0, 1, 1), 2, 2)),
                Arguments.of("MNIST CNN conv 1 (1->32, 28x28)", MNIST_CNN.get(0)),
                Arguments.of("MNIST CNN conv 2 (32->64, 13x13) at batch 24", MNIST_CNN.get(1).withBatch(24)),
                Arguments.of("MNIST CNN conv 3 (64->64, 5x5)", MNIST_CNN.get(2)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("convGeometries")
    void convPassesMatchTheReference(String name, Conv2dGeometry g) {
        float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
        float[] w = rng.uniform((int) g.weightShape().size(), -0.5f, 0.5f);
        float[] dy = rng.uniform((int) g.outputShape().size(), -1, 1);

        // forward: T = cIn*kh*kw (one multiplication, at most K - 1 additions; padding contributes exact zeros)
        assertPassMatches(name + ": forward", runForward(ref, x, w, g), runForward(ref, abs(x), abs(w), g),
                (long) g.cIn() * g.kh() * g.kw(), OffsetTensors.output(g.outputShape()), y -> fast.conv2dForward(y,
                        OffsetTensors.of(x, g.inputShape()), OffsetTensors.of(w, g.weightShape()), g));

        // backwardData: T = cOut + kh*kw: a sum over cOut per patch entry, then up to kh*kw entries added into dx
        assertPassMatches(name + ": backwardData", runBackwardData(ref, dy, w, g),
                runBackwardData(ref, abs(dy), abs(w), g), (long) g.cOut() + g.kh() * g.kw(),
                OffsetTensors.output(g.inputShape()), dx -> fast.conv2dBackwardData(dx,
                        OffsetTensors.of(dy, g.outputShape()), OffsetTensors.of(w, g.weightShape()), g));

        // backwardFilter: T = n*outH*outW + n: summed per chunk, then at most n chunk partials added
        assertPassMatches(name + ": backwardFilter", runBackwardFilter(ref, dy, x, g),
                runBackwardFilter(ref, abs(dy), abs(x), g), (long) g.n() * g.outH() * g.outW() + g.n(),
                OffsetTensors.output(g.weightShape()), dw -> fast.conv2dBackwardFilter(dw,
                        OffsetTensors.of(dy, g.outputShape()), OffsetTensors.of(x, g.inputShape()), g));
    }

    /**
     * Runs {@code pass} into {@code out} (OffsetTensors' guarded output) and checks it against the reference's result
     * within the bound for sums of {@code terms} terms of {@code magnitude}, and that nothing was written outside.
     */
    private static void assertPassMatches(String what, float[] reference, float[] magnitude, long terms, Tensor out,
                                          Consumer<Tensor> pass) {
        pass.accept(out);
        Compare.assertClose(what, reference, out.toArray(), tolerance(terms, magnitude), 0);
        OffsetTensors.assertNothingWrittenOutside(what, out);
    }

    private static float[] runForward(CpuBackend on, float[] x, float[] w, Conv2dGeometry g) {
        Tensor y = Tensor.zeros(g.outputShape());
        on.conv2dForward(y, Tensor.wrap(x, g.inputShape()), Tensor.wrap(w, g.weightShape()), g);
        return y.toArray();
    }

    private static float[] runBackwardData(CpuBackend on, float[] dy, float[] w, Conv2dGeometry g) {
        Tensor dx = Tensor.zeros(g.inputShape());
        on.conv2dBackwardData(dx, Tensor.wrap(dy, g.outputShape()), Tensor.wrap(w, g.weightShape()), g);
        return dx.toArray();
    }

    private static float[] runBackwardFilter(CpuBackend on, float[] dy, float[] x, Conv2dGeometry g) {
        Tensor dw = Tensor.zeros(g.weightShape());
        on.conv2dBackwardFilter(dw, Tensor.wrap(dy, g.outputShape()), Tensor.wrap(x, g.inputShape()), g);
        return dw.toArray();
    }

    @Test
    void reusedBuffersGiveTheSameResultsAcrossChangingShapes() {
        // one backend (one scratch pool) through big, small and big again: stale buffer contents must never leak
        Conv2dGeometry big = Conv2dGeometry.of(6, 4, 9, 9, 8, 3, 3, Padding.symmetric(1, 1));
        Conv2dGeometry small = new Conv2dGeometry(3, 2, 5, 4, 3, 2, 2, 2, 1, new Padding(1, 0, 0, 1), 1, 1);
        float[] xBig = rng.uniform((int) big.inputShape().size(), -1, 1);
        float[] wBig = rng.uniform((int) big.weightShape().size(), -1, 1);
        float[] dyBig = rng.uniform((int) big.outputShape().size(), -1, 1);
        float[] first = fastFilterGradient(dyBig, xBig, big);
        float[] firstY = fastForward(xBig, wBig, big);
        for (Conv2dGeometry g : List.of(small, big.withBatch(2), small.withBatch(17))) {
            float[] x = rng.uniform((int) g.inputShape().size(), -1, 1);
            float[] w = rng.uniform((int) g.weightShape().size(), -1, 1);
            float[] dy = rng.uniform((int) g.outputShape().size(), -1, 1);
            long filterTerms = (long) g.n() * g.outH() * g.outW() + g.n();
            Compare.assertClose("backwardFilter " + g, runBackwardFilter(ref, dy, x, g), fastFilterGradient(dy, x, g),
                    tolerance(filterTerms, runBackwardFilter(ref, abs(dy), abs(x), g)), 0);
            Compare.assertClose("forward " + g, runForward(ref, x, w, g), fastForward(x, w, g),
                    tolerance((long) g.cIn() * g.kh() * g.kw(), runForward(ref, abs(x), abs(w), g)), 0);
        }
        assertArrayEquals(first, fastFilterGradient(dyBig, xBig, big), "same inputs, same bits");
        assertArrayEquals(firstY, fastForward(xBig, wBig, big), "same inputs, same bits");
    }

    private float[] fastForward(float[] x, float[] w, Conv2dGeometry g) {
        Tensor y = Tensor.zeros(g.outputShape());
        fast.conv2dForward(y, Tensor.wrap(x, g.inputShape()), Tensor.wrap(w, g.weightShape()), g);
        return y.toArray();
    }

    private float[] fastFilterGradient(float[] dy, float[] x, Conv2dGeometry g) {
        Tensor dw = Tensor.zeros(g.weightShape());
        fast.conv2dBackwardFilter(dw, Tensor.wrap(dy, g.outputShape()), Tensor.wrap(x, g.inputShape()), g);
        return dw.toArray();
    }

    @Test
    void emptyBatchGivesAZeroFilterGradient() {
        Conv2dGeometry g = Conv2dGeometry.of(0, 2, 4, 4, 3, 3, 3, Padding.NONE);
        Tensor dw = OffsetTensors.output(g.weightShape());
        fast.conv2dBackwardFilter(dw, Tensor.zeros(g.outputShape()), Tensor.zeros(g.inputShape()), g);
        assertArrayEquals(new float[(int) g.weightShape().size()], dw.toArray());
    }

    // ---- refusals: the same messages as the reference -----------------------------------------------------------

    /** The fast backend refuses {@code call} with exactly the reference's message for the same arguments. */
    private void refusedLikeTheReference(java.util.function.Function<io.kernelnet.backend.Backend, Executable> call) {
        Refusals.assertRefusedLike(ref, fast, call);
    }

    @Test
    void refusesBadGemmsWithTheReferenceMessages() {
        Tensor a23 = Tensor.zeros(Shape.of(2, 3));
        Tensor b43 = Tensor.zeros(Shape.of(4, 3));
        Tensor c22 = Tensor.zeros(Shape.of(2, 2));
        refusedLikeTheReference(be -> () -> be.gemm(c22, a23, false, b43, false, 1, 0));
        refusedLikeTheReference(be -> () -> be.gemm(c22, a23, false, Tensor.zeros(Shape.of(3, 4)), false, 1, 0));
        refusedLikeTheReference(be -> () -> be.gemm(Tensor.zeros(Shape.of(4)), a23, true, b43, true, 1, 0));
        refusedLikeTheReference(be -> () -> be.gemm(c22, null, false, b43, false, 1, 0));
        refusedLikeTheReference(be -> () -> be.gemmBatched(Tensor.zeros(Shape.of(2, 2, 2)),
                Tensor.zeros(Shape.of(3, 2, 3)), false, Tensor.zeros(Shape.of(2, 3, 2)), false, 1, 0));
        refusedLikeTheReference(be -> () -> be.gemmBatched(Tensor.zeros(Shape.of(2, 2, 2)),
                Tensor.zeros(Shape.of(2, 2, 3)), false, Tensor.zeros(Shape.of(2, 4, 2)), false, 1, 0));
        refusedLikeTheReference(be -> () -> be.gemmBatched(c22, a23, false, b43, true, 1, 0));
    }

    @Test
    void refusesBadConvolutionsWithTheReferenceMessages() {
        Conv2dGeometry g = Conv2dGeometry.of(2, 2, 5, 5, 3, 3, 3, Padding.NONE);
        Tensor x = Tensor.zeros(g.inputShape());
        Tensor w = Tensor.zeros(g.weightShape());
        Tensor y = Tensor.zeros(g.outputShape());
        Tensor wrongX = Tensor.zeros(Shape.of(2, 3, 5, 5));
        Tensor wrongW = Tensor.zeros(Shape.of(3, 2, 2, 3));
        Tensor wrongY = Tensor.zeros(Shape.of(2, 3, 4, 3));
        refusedLikeTheReference(be -> () -> be.conv2dForward(y, wrongX, w, g));
        refusedLikeTheReference(be -> () -> be.conv2dForward(y, x, wrongW, g));
        refusedLikeTheReference(be -> () -> be.conv2dForward(wrongY, x, w, g));
        refusedLikeTheReference(be -> () -> be.conv2dBackwardData(wrongX, y, w, g));
        refusedLikeTheReference(be -> () -> be.conv2dBackwardData(x, wrongY, w, g));
        refusedLikeTheReference(be -> () -> be.conv2dBackwardData(x, y, wrongW, g));
        refusedLikeTheReference(be -> () -> be.conv2dBackwardFilter(wrongW, y, x, g));
        refusedLikeTheReference(be -> () -> be.conv2dBackwardFilter(w, wrongY, x, g));
        refusedLikeTheReference(be -> () -> be.conv2dBackwardFilter(w, y, wrongX, g));
        refusedLikeTheReference(be -> () -> be.conv2dBackwardFilter(w, y, null, g));
    }

    // ---- max-pool and activations: the reference on slices of the batch, in parallel ------------------------------

    /**
     * Pooling windows over batches big enough to be split (over 2^15 input floats), odd and 'same'-padded; 2x2 at
     * stride 2 (the unrolled path) over a large batch and over odd sizes.
     */
    static Stream<Arguments> poolGeometries() {
        return Stream.of(
                Arguments.of(new Pool2dGeometry(128, 32, 26, 26, 2, 2, 2, 2, Padding.NONE)),
                Arguments.of(new Pool2dGeometry(3, 5, 7, 9, 2, 2, 2, 2, Padding.NONE)),
                Arguments.of(new Pool2dGeometry(13, 5, 23, 21, 3, 2, 2, 3, new Padding(1, 1, 0, 1))),
                Arguments.of(new Pool2dGeometry(3, 2, 7, 5, 2, 2, 1, 1, Padding.NONE)));
    }

    /**
     * On ReLU outputs (many exact ties at +0, where the first maximum must win; +infinity; subnormals: the unrolled
     * path's branch-free case) and on values of any sign (negatives, -0 against +0, NaN, which wins).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("poolGeometries")
    void maxPoolForwardIsTheReferenceBitForBit(Pool2dGeometry g) {
        float[] any = rng.withSpecialValues((int) g.inputShape().size());
        float[] reluOutputs = new float[any.length];
        for (int i = 0; i < any.length; i++) {
            reluOutputs[i] = Float.isNaN(any[i]) ? 0f : Math.max(any[i], 0f);
        }
        for (float[] x : new float[][] {reluOutputs, any}) {
            Tensor yRef = Tensor.zeros(g.outputShape());
            Tensor argRef = Tensor.zeros(g.outputShape());
            ref.maxPool2dForward(yRef, argRef, Tensor.wrap(x, g.inputShape()), g);
            Tensor y = OffsetTensors.output(g.outputShape());
            Tensor arg = OffsetTensors.output(g.outputShape());
            fast.maxPool2dForward(y, arg, OffsetTensors.of(x, g.inputShape()), g);
            assertArrayEquals(yRef.toArray(), y.toArray());
            assertArrayEquals(argRef.toArray(), arg.toArray());
            OffsetTensors.assertNothingWrittenOutside("y", y);
            OffsetTensors.assertNothingWrittenOutside("argmax", arg);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"RELU", "LEAKY_RELU", "SIGMOID", "TANH"})
    void activationsAreTheReferenceBitForBitAlsoInPlace(Activation act) {
        for (Shape shape : List.of(Shape.of(128, 32, 26, 26), Shape.of(7, 3001), Shape.of(5, 3))) {
            int size = (int) shape.size();
            float[] x = rng.uniform(size, -4, 4);
            float[] dy = rng.uniform(size, -1, 1);
            Tensor yRef = Tensor.zeros(shape);
            ref.activationForward(yRef, Tensor.wrap(x, shape), act, 0.1f);
            Tensor y = OffsetTensors.output(shape);
            fast.activationForward(y, OffsetTensors.of(x, shape), act, 0.1f);
            assertArrayEquals(yRef.toArray(), y.toArray(), act + " forward " + shape);
            OffsetTensors.assertNothingWrittenOutside("y", y);
            Tensor inPlace = OffsetTensors.of(x, shape);
            fast.activationForward(inPlace, inPlace, act, 0.1f);
            assertArrayEquals(yRef.toArray(), inPlace.toArray(), act + " forward in place " + shape);

            Tensor dxRef = Tensor.zeros(shape);
            ref.activationBackward(dxRef, Tensor.wrap(dy, shape), Tensor.wrap(x, shape), yRef, act, 0.1f);
            Tensor dx = OffsetTensors.output(shape);
            fast.activationBackward(dx, OffsetTensors.of(dy, shape), OffsetTensors.of(x, shape), y, act, 0.1f);
            assertArrayEquals(dxRef.toArray(), dx.toArray(), act + " backward " + shape);
            OffsetTensors.assertNothingWrittenOutside("dx", dx);
            Tensor dyInPlace = OffsetTensors.of(dy, shape);
            fast.activationBackward(dyInPlace, dyInPlace, OffsetTensors.of(x, shape), y, act, 0.1f);
            assertArrayEquals(dxRef.toArray(), dyInPlace.toArray(), act + " backward in place " + shape);
        }
    }

    @Test
    void activationBackwardNeedsOnlyTheTensorItsDerivativeReads() {
        // the reference takes null for the saved tensor it does not read; the fast backend must too
        Shape shape = Shape.of(64, 1024);
        float[] x = rng.uniform((int) shape.size(), -1, 1);
        float[] dy = rng.uniform((int) shape.size(), -1, 1);
        Tensor dxRef = Tensor.zeros(shape);
        Tensor dx = Tensor.zeros(shape);
        ref.activationBackward(dxRef, Tensor.wrap(dy, shape), Tensor.wrap(x, shape), null, Activation.RELU, 0);
        fast.activationBackward(dx, Tensor.wrap(dy, shape), Tensor.wrap(x, shape), null, Activation.RELU, 0);
        assertArrayEquals(dxRef.toArray(), dx.toArray());
    }

    @Test
    void refusesBadPoolingAndActivationsWithTheReferenceMessages() {
        Pool2dGeometry g = new Pool2dGeometry(64, 8, 10, 10, 2, 2, 2, 2, Padding.NONE);
        Tensor x = Tensor.zeros(g.inputShape());
        Tensor y = Tensor.zeros(g.outputShape());
        refusedLikeTheReference(be -> () -> be.maxPool2dForward(y, Tensor.zeros(Shape.of(64, 8, 5, 4)), x, g));
        refusedLikeTheReference(be -> () -> be.maxPool2dForward(Tensor.zeros(Shape.of(64, 8, 4, 5)), y, x, g));
        refusedLikeTheReference(be -> () -> be.maxPool2dForward(y, y, Tensor.zeros(Shape.of(64, 8, 10, 11)), g));
        Tensor big = Tensor.zeros(Shape.of(64, 1024));
        Tensor other = Tensor.zeros(Shape.of(1024, 64));
        refusedLikeTheReference(be -> () -> be.activationForward(other, big, Activation.TANH, 0));
        refusedLikeTheReference(be -> () -> be.activationBackward(big, other, big, big, Activation.RELU, 0));
        refusedLikeTheReference(be -> () -> be.activationBackward(big, big, other, big, Activation.RELU, 0));
        refusedLikeTheReference(be -> () -> be.activationBackward(big, big, big, other, Activation.SIGMOID, 0));
        refusedLikeTheReference(be -> () -> be.activationBackward(big, big, big, null, Activation.TANH, 0));
    }

    // ---- everything else is the reference as is (the ops of their own: FastOpsTest) -----------------------------

    @Test
    void delegatesTheOtherOpsToTheReferenceBitForBit() {
        assertEquals("cpu", fast.name());
        assertEquals(Device.CPU, fast.device());

        Shape rows = Shape.of(5, 7);
        float[] logits = rng.uniform(35, -3, 3);
        Tensor probsRef = Tensor.zeros(rows);
        Tensor probsFast = OffsetTensors.output(rows);
        ref.softmaxForward(probsRef, Tensor.wrap(logits, rows), 1);
        fast.softmaxForward(probsFast, OffsetTensors.of(logits, rows), 1);
        assertArrayEquals(probsRef.toArray(), probsFast.toArray());
        float[] rowSums = new float[5];
        for (int i = 0; i < 35; i++) {
            rowSums[i / 7] += probsFast.toArray()[i];
        }
        Compare.assertClose("softmax rows sum to 1", new float[] {1, 1, 1, 1, 1}, rowSums, 1e-6, 0);

        float[] labels = rng.labels(5, 7);
        Tensor dRef = Tensor.zeros(rows);
        Tensor dFast = Tensor.zeros(rows);
        float lossRef = ref.softmaxCrossEntropySparse(Tensor.zeros(rows), dRef, Tensor.wrap(logits, rows),
                Tensor.wrap(labels, Shape.of(5)));
        float lossFast = fast.softmaxCrossEntropySparse(Tensor.zeros(rows), dFast, Tensor.wrap(logits, rows),
                Tensor.wrap(labels, Shape.of(5)));
        assertEquals(lossRef, lossFast);
        assertArrayEquals(dRef.toArray(), dFast.toArray());

        Shape image = Shape.of(3, 4, 5, 6);
        float[] dy = rng.uniform((int) image.size(), -1, 1);
        Tensor biasRef = Tensor.zeros(Shape.of(4));
        Tensor biasFast = OffsetTensors.output(Shape.of(4));
        ref.biasGrad(biasRef, Tensor.wrap(dy, image));
        fast.biasGrad(biasFast, OffsetTensors.of(dy, image));
        assertArrayEquals(biasRef.toArray(), biasFast.toArray());
        refusedLikeTheReference(be -> () -> be.softmaxForward(Tensor.zeros(Shape.of(5, 6)), Tensor.wrap(logits, rows),
                1));
    }
}
