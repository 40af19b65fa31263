package io.kernelnet.backend.cuda;

import static io.kernelnet.testing.Compare.largestMagnitude;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cuda.ConvEngine.ConvChoice;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.GpuAssumptions;
import io.kernelnet.testing.TestRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CudnnConv} on device buffers against the CPU reference (CpuConv and CpuPool through {@link CpuBackend}),
 * fresh random inputs, every output poisoned with NaN first. Skips (assumption, with the reason) where CUDA or
 * cuDNN is not usable.
 *
 * <p>Memory and copies go through a {@link CudaBackend} (our kernels engine); the engine runs on a
 * {@link CudaContext} of its own: the same primary context, its own stream, synchronized before each download.
 *
 * <p>Bounds, for an output whose value sums L products (forward L = cIn*kh*kw, backward-data L = cOut*kh*kw,
 * backward-filter L = n*outH*outW):
 * <ul>
 * <li>elementwise |gpu - cpu| &lt;= L * 2^-23 * A, where A is the largest sum of |products| of the tensor (the CPU
 * reference run on |inputs|): twice the FP32 worst case gamma_L = L * 2^-24 for any summation order, taken over the
 * tensor so that FFT and Winograd algorithms, whose errors are normwise, are held to it too;</li>
 * <li>rms(gpu - cpu) / rms(cpu) &lt;= 3e-5: FP32 gives about 1e-7 to 1e-6, TF32 (10-bit mantissa) about 4e-4, so
 * TF32 sneaking in fails here even where the worst-case bound is loose.</li>
 * </ul>
 * Max pooling is exact (same element selected; inputs without ties). Deterministic mode: two runs bit-identical.
 */
@Tag("gpu")
class CudnnConvGpuTest {
    private static final Availability CUDA = CudaRuntime.availability();
    private static final long WORKSPACE_LIMIT = 256L << 20;
    private static final double RMS_BOUND = 3e-5;

    private static CudaBackend backend;
    private static CudaContext context;
    private static CudnnConv engine;
    private static CudnnConv deterministicEngine;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend reference = new CpuBackend();
    private final List<Storage> storages = new ArrayList<>();

    /** Per test, so that every test shows up as skipped with the reason. */
    @BeforeEach
    void needsCudaAndCudnn() {
        GpuAssumptions.usableDevice();
        VendorLibraries.Status cudnn = VendorLibraries.cudnn();
        assumeTrue(cudnn.loaded(), "cuDNN: " + cudnn.detail());
        if (backend == null) {
            backend = new CudaBackend(0, new CudaOptions(Engine.KERNELS, false, false));
            context = new CudaContext(CUDA.devices().get(0));
            engine = new CudnnConv(context, false);
            deterministicEngine = new CudnnConv(context, true);
        }
    }

    @AfterEach
    void freeBuffers() {
        storages.forEach(Storage::close);
        storages.clear();
    }

    @AfterAll
    static void closeEngines() {
        if (backend != null) {
            context.synchronize("close");
            deterministicEngine.close();
            engine.close();
            engine.close();
            context.close();
            backend.close();
            backend = null;
        }
    }

    // ---- convolutions against the CPU reference ----------------------------------------------------------------

    static Stream<Conv2dGeometry> convolutions() {
        return Stream.of(
                // odd sizes, an even kernel, 'valid'
                Conv2dGeometry.of(3, 3, 11, 9, 5, 3, 2, Padding.NONE),
                // stride 2, 'valid'
                new Conv2dGeometry(2, 4, 13, 10, 6, 3, 3, 2, 2, Padding.NONE, 1, 1),
                // symmetric 'same' 3x3, batch 7
                Conv2dGeometry.of(7, 3, 9, 12, 4, 3, 3, Padding.same(9, 12, 3, 3, 1, 1, 1, 1)),
                // dilation 2, symmetric 'same', batch 1
                new Conv2dGeometry(1, 2, 15, 14, 3, 3, 3, 1, 1, Padding.same(15, 14, 3, 3, 1, 1, 2, 2), 2, 2),
                // 1x1 kernel, stride 2 with symmetric padding
                new Conv2dGeometry(7, 8, 7, 7, 5, 1, 1, 2, 2, Padding.symmetric(1, 1), 1, 1),
                // the MNIST cnn's layers at batch 128
                Conv2dGeometry.of(128, 1, 28, 28, 32, 3, 3, Padding.NONE),
                Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE),
                Conv2dGeometry.of(128, 64, 5, 5, 64, 3, 3, Padding.NONE));
    }

    @ParameterizedTest
    @MethodSource("convolutions")
    void convolutionPassesMatchTheCpuReference(Conv2dGeometry g) {
        checkConvolution(engine, g, true);
    }

    @ParameterizedTest
    @MethodSource("convolutions")
    void deterministicConvolutionPassesMatchTheCpuReference(Conv2dGeometry g) {
        checkConvolution(deterministicEngine, g, true);
    }

    /**
     * A geometry never planned (the last, smaller batch) is ranked by the heuristic at its first call; in
     * deterministic mode this relies on the heuristic reporting determinism.
     */
    @Test
    void anUnplannedSmallerBatchRunsWithTheHeuristicsChoice() {
        Conv2dGeometry full = Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE);
        for (CudnnConv e : List.of(engine, deterministicEngine)) {
            e.plan(full, WORKSPACE_LIMIT);
            checkConvolution(e, full.withBatch(37), false);
        }
    }

    /** Forward with no workspace at all: IMPLICIT_GEMM needs none; the call must not allocate. */
    @Test
    void forwardRunsWithoutWorkspace() {
        Conv2dGeometry g = Conv2dGeometry.of(16, 32, 13, 13, 64, 3, 3, Padding.NONE);
        engine.plan(g, WORKSPACE_LIMIT);
        float[] x = rng.uniform(size(g.inputShape()), -1, 1);
        float[] w = rng.uniform(size(g.weightShape()), -1, 1);
        float[] expected = new float[size(g.outputShape())];
        reference.conv2dForward(Tensor.wrap(expected, g.outputShape()), Tensor.wrap(x, g.inputShape()),
                Tensor.wrap(w, g.weightShape()), g);
        float[] absSums = new float[expected.length];
        reference.conv2dForward(Tensor.wrap(absSums, g.outputShape()), Tensor.wrap(abs(x), g.inputShape()),
                Tensor.wrap(abs(w), g.weightShape()), g);
        Tensor xd = upload(x, g.inputShape());
        Tensor wd = upload(w, g.weightShape());
        Tensor y = poisoned(g.outputShape());
        engine.conv2dForward(ptr(y), ptr(xd), ptr(wd), g, null, 0);
        context.synchronize("forward without workspace");
        assertMatches("forward without workspace, " + engine.lastCall(), expected, download(y),
                (long) g.cIn() * g.kh() * g.kw(), largestMagnitude(absSums));
    }

    @Test
    void anEmptyBatchZeroesTheFilterGradientAndComputesNothingElse() {
        Conv2dGeometry g = Conv2dGeometry.of(0, 3, 8, 8, 4, 3, 3, Padding.NONE);
        assertEquals(0, engine.plan(g, WORKSPACE_LIMIT).workspaceBytes());
        Tensor dw = poisoned(g.weightShape());
        Tensor empty = upload(new float[0], g.inputShape());
        Tensor emptyOut = upload(new float[0], g.outputShape());
        engine.conv2dForward(ptr(emptyOut), ptr(empty), ptr(dw), g, null, 0);
        engine.conv2dBackwardFilter(ptr(dw), ptr(emptyOut), ptr(empty), g, null, 0);
        context.synchronize("empty batch");
        assertArrayEquals(new float[size(g.weightShape())], download(dw));
    }

    @Test
    void asymmetricPaddingIsRefusedBeforeAnythingRuns() {
        Conv2dGeometry g = new Conv2dGeometry(2, 3, 28, 28, 4, 3, 3, 2, 2, Padding.same(28, 28, 3, 3, 2, 2, 1, 1),
                1, 1);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> engine.plan(g, WORKSPACE_LIMIT));
        assertTrue(e.getMessage().contains("top=0 bottom=1"), e.getMessage());
        Pool2dGeometry p = new Pool2dGeometry(2, 3, 7, 7, 2, 2, 2, 2, Padding.same(7, 7, 2, 2, 2, 2, 1, 1));
        Tensor x = poisoned(p.inputShape());
        Tensor y = poisoned(p.outputShape());
        assertThrows(UnsupportedOperationException.class, () -> engine.maxPool2dForward(ptr(y), null, ptr(x), p));
        assertThrows(UnsupportedOperationException.class, () -> engine.avgPool2dForward(ptr(y), ptr(x), p));
    }

    @Test
    void descriptionNamesTheVersionAndTheMode() {
        assertTrue(engine.description().matches("cuDNN 9\\.\\d+\\.\\d+"), engine.description());
        assertTrue(deterministicEngine.description().matches("cuDNN 9\\.\\d+\\.\\d+ \\(deterministic\\)"),
                deterministicEngine.description());
    }

    /**
     * Runs the three passes on device and on the CPU, with workspace as planned (or, when {@code plan} is false,
     * 64 MiB without a plan), and checks that cuDNN made the three calls.
     */
    private void checkConvolution(CudnnConv e, Conv2dGeometry g, boolean plan) {
        long workspaceBytes = 64L << 20;
        String choice = "unplanned";
        if (plan) {
            ConvChoice c = e.plan(g, WORKSPACE_LIMIT);
            assertTrue(c.workspaceBytes() >= 0 && c.workspaceBytes() <= WORKSPACE_LIMIT, c.toString());
            assertTrue(c.description().matches("fwd \\S+, bwd-data \\S+, bwd-filter \\S+"), c.description());
            workspaceBytes = c.workspaceBytes();
            choice = c.description();
        }
        Shape in = g.inputShape();
        Shape ws = g.weightShape();
        Shape out = g.outputShape();
        float[] x = rng.uniform(size(in), -1, 1);
        float[] w = rng.uniform(size(ws), -1, 1);
        float[] dy = rng.uniform(size(out), -1, 1);

        float[] y = new float[size(out)];
        float[] dx = new float[size(in)];
        float[] dw = new float[size(ws)];
        reference.conv2dForward(Tensor.wrap(y, out), Tensor.wrap(x, in), Tensor.wrap(w, ws), g);
        reference.conv2dBackwardData(Tensor.wrap(dx, in), Tensor.wrap(dy, out), Tensor.wrap(w, ws), g);
        reference.conv2dBackwardFilter(Tensor.wrap(dw, ws), Tensor.wrap(dy, out), Tensor.wrap(x, in), g);
        // the sums of |products| of each output, for the worst-case bound
        float[] yAbs = new float[y.length];
        float[] dxAbs = new float[dx.length];
        float[] dwAbs = new float[dw.length];
        reference.conv2dForward(Tensor.wrap(yAbs, out), Tensor.wrap(abs(x), in), Tensor.wrap(abs(w), ws), g);
        reference.conv2dBackwardData(Tensor.wrap(dxAbs, in), Tensor.wrap(abs(dy), out), Tensor.wrap(abs(w), ws), g);
        reference.conv2dBackwardFilter(Tensor.wrap(dwAbs, ws), Tensor.wrap(abs(dy), out), Tensor.wrap(abs(x), in),
                g);

        Tensor xd = upload(x, in);
        Tensor wd = upload(w, ws);
        Tensor dyd = upload(dy, out);
        Tensor yd = poisoned(out);
        Tensor dxd = poisoned(in);
        Tensor dwd = poisoned(ws);
        DevicePointer workspace = workspaceBytes == 0 ? null : ptr(scratch(workspaceBytes));
        long calls = e.calls();
        e.conv2dForward(ptr(yd), ptr(xd), ptr(wd), g, workspace, workspaceBytes);
        String fwd = e.lastCall();
        e.conv2dBackwardData(ptr(dxd), ptr(dyd), ptr(wd), g, workspace, workspaceBytes);
        String bwdData = e.lastCall();
        e.conv2dBackwardFilter(ptr(dwd), ptr(dyd), ptr(xd), g, workspace, workspaceBytes);
        String bwdFilter = e.lastCall();
        context.synchronize("convolution");
        assertEquals(calls + 3, e.calls(), "cuDNN did not run");

        String what = g + " " + e.description() + " [" + choice + "] ";
        assertMatches(what + fwd, y, download(yd), (long) g.cIn() * g.kh() * g.kw(), largestMagnitude(yAbs));
        assertMatches(what + bwdData, dx, download(dxd), (long) g.cOut() * g.kh() * g.kw(), largestMagnitude(dxAbs));
        assertMatches(what + bwdFilter, dw, download(dwd), (long) g.n() * g.outH() * g.outW(), largestMagnitude(dwAbs));
    }

    // ---- determinism -------------------------------------------------------------------------------------------

    /** Shapes where atomics would show: a long filter reduction, and stride 2 with overlapping windows. */
    @ParameterizedTest
    @MethodSource("deterministicCases")
    void deterministicModeRepeatsBitForBit(Conv2dGeometry g) {
        ConvChoice c = deterministicEngine.plan(g, WORKSPACE_LIMIT);
        DevicePointer workspace = c.workspaceBytes() == 0 ? null : ptr(scratch(c.workspaceBytes()));
        Tensor x = upload(rng.uniform(size(g.inputShape()), -1, 1), g.inputShape());
        Tensor w = upload(rng.uniform(size(g.weightShape()), -1, 1), g.weightShape());
        Tensor dy = upload(rng.uniform(size(g.outputShape()), -1, 1), g.outputShape());
        float[][] first = new float[3][];
        for (int run = 0; run < 2; run++) {
            Tensor y = poisoned(g.outputShape());
            Tensor dx = poisoned(g.inputShape());
            Tensor dw = poisoned(g.weightShape());
            deterministicEngine.conv2dForward(ptr(y), ptr(x), ptr(w), g, workspace, c.workspaceBytes());
            deterministicEngine.conv2dBackwardData(ptr(dx), ptr(dy), ptr(w), g, workspace, c.workspaceBytes());
            deterministicEngine.conv2dBackwardFilter(ptr(dw), ptr(dy), ptr(x), g, workspace, c.workspaceBytes());
            context.synchronize("deterministic run " + run);
            float[][] now = {download(y), download(dx), download(dw)};
            if (run == 0) {
                first = now;
            } else {
                String[] names = {"forward", "backward-data", "backward-filter"};
                for (int i = 0; i < 3; i++) {
                    assertBitIdentical(g + " " + c.description() + " " + names[i], first[i], now[i]);
                }
            }
        }
    }

    static Stream<Conv2dGeometry> deterministicCases() {
        return Stream.of(Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE),
                new Conv2dGeometry(16, 8, 17, 17, 8, 3, 3, 2, 2, Padding.symmetric(1, 1), 1, 1));
    }

    @Test
    void deterministicOverlappingMaxPoolBackwardRepeatsBitForBit() {
        Pool2dGeometry g = new Pool2dGeometry(16, 8, 17, 17, 3, 3, 2, 2, Padding.symmetric(1, 1));
        Tensor x = upload(rng.distinct(size(g.inputShape()), 1e-5f), g.inputShape());
        Tensor y = poisoned(g.outputShape());
        Tensor dy = upload(rng.uniform(size(g.outputShape()), -1, 1), g.outputShape());
        deterministicEngine.maxPool2dForward(ptr(y), null, ptr(x), g);
        float[] first = null;
        for (int run = 0; run < 2; run++) {
            Tensor dx = poisoned(g.inputShape());
            deterministicEngine.maxPool2dBackward(ptr(dx), ptr(dy), ptr(x), ptr(y), null, g);
            context.synchronize("max pool backward run " + run);
            if (first == null) {
                first = download(dx);
            } else {
                assertBitIdentical("max pool backward " + g, first, download(dx));
            }
        }
    }

    // ---- pooling against the CPU reference ---------------------------------------------------------------------

    static Stream<Pool2dGeometry> pools() {
        return Stream.of(
                // the MNIST cnn's pools at batch 128 (11 -> 5 drops the last row and column)
                new Pool2dGeometry(128, 32, 26, 26, 2, 2, 2, 2, Padding.NONE),
                new Pool2dGeometry(128, 64, 11, 11, 2, 2, 2, 2, Padding.NONE),
                // overlapping windows with symmetric padding on an odd input
                new Pool2dGeometry(7, 3, 9, 9, 3, 3, 2, 2, Padding.symmetric(1, 1)),
                // 'same' 3x3 stride 1: padded positions are not counted in an average
                new Pool2dGeometry(3, 4, 7, 8, 3, 3, 1, 1, Padding.same(7, 8, 3, 3, 1, 1, 1, 1)),
                // batch 1, a non-square window
                new Pool2dGeometry(1, 2, 10, 9, 2, 3, 2, 3, Padding.NONE));
    }

    @ParameterizedTest
    @MethodSource("pools")
    void maxPoolingMatchesTheCpuReference(Pool2dGeometry g) {
        for (CudnnConv e : List.of(engine, deterministicEngine)) {
            Shape in = g.inputShape();
            Shape out = g.outputShape();
            // distinct values: no ties, so both pick the same winner and the results are exact
            float[] x = rng.distinct(size(in), 1e-5f);
            float[] dy = rng.uniform(size(out), -1, 1);
            float[] y = new float[size(out)];
            float[] argmax = new float[size(out)];
            float[] dx = new float[size(in)];
            reference.maxPool2dForward(Tensor.wrap(y, out), Tensor.wrap(argmax, out), Tensor.wrap(x, in), g);
            reference.maxPool2dBackward(Tensor.wrap(dx, in), Tensor.wrap(dy, out), Tensor.wrap(x, in), Tensor.wrap(y, out),
                    Tensor.wrap(argmax, out), g);

            Tensor xd = upload(x, in);
            Tensor yd = poisoned(out);
            Tensor argmaxd = poisoned(out);
            Tensor dyd = upload(dy, out);
            Tensor dxd = poisoned(in);
            long calls = e.calls();
            e.maxPool2dForward(ptr(yd), ptr(argmaxd), ptr(xd), g);
            e.maxPool2dBackward(ptr(dxd), ptr(dyd), ptr(xd), ptr(yd), ptr(argmaxd), g);
            context.synchronize("max pool");
            assertEquals(calls + 2, e.calls(), "cuDNN did not run");
            assertArrayEquals(y, download(yd), g + " " + e.description() + " forward");
            // a position in several windows sums its dy's, possibly in another order: not always exact
            int overlap = ceilDiv(g.kh(), g.strideH()) * ceilDiv(g.kw(), g.strideW());
            assertMatches(g + " " + e.description() + " backward", dx, download(dxd), overlap, overlap * largestMagnitude(dy));
        }
    }

    @ParameterizedTest
    @MethodSource("pools")
    void averagePoolingMatchesTheCpuReference(Pool2dGeometry g) {
        Shape in = g.inputShape();
        Shape out = g.outputShape();
        float[] x = rng.uniform(size(in), -1, 1);
        float[] dy = rng.uniform(size(out), -1, 1);
        float[] y = new float[size(out)];
        float[] dx = new float[size(in)];
        reference.avgPool2dForward(Tensor.wrap(y, out), Tensor.wrap(x, in), g);
        reference.avgPool2dBackward(Tensor.wrap(dx, in), Tensor.wrap(dy, out), g);

        Tensor xd = upload(x, in);
        Tensor yd = poisoned(out);
        Tensor dyd = upload(dy, out);
        Tensor dxd = poisoned(in);
        engine.avgPool2dForward(ptr(yd), ptr(xd), g);
        engine.avgPool2dBackward(ptr(dxd), ptr(dyd), g);
        context.synchronize("average pool");
        int window = g.kh() * g.kw();
        assertMatches(g + " average forward", y, download(yd), window, largestMagnitude(x));
        int overlap = ceilDiv(g.kh(), g.strideH()) * ceilDiv(g.kw(), g.strideW());
        assertMatches(g + " average backward", dx, download(dxd), overlap, overlap * largestMagnitude(dy));
    }

    // ---- bias gradient -----------------------------------------------------------------------------------------

    @Test
    void biasGradientMatchesTheCpuReference() {
        Shape shape = Shape.of(128, 32, 26, 26);
        float[] dy = rng.uniform(size(shape), -1, 1);
        float[] expected = new float[32];
        reference.biasGrad(Tensor.wrap(expected, Shape.of(32)), Tensor.wrap(dy, shape));
        float[] absSums = new float[32];
        reference.biasGrad(Tensor.wrap(absSums, Shape.of(32)), Tensor.wrap(abs(dy), shape));
        Tensor dBias = poisoned(Shape.of(32));
        long calls = engine.calls();
        engine.convBackwardBias(ptr(dBias), ptr(upload(dy, shape)), 128, 32, 26, 26);
        context.synchronize("bias gradient");
        assertEquals(calls + 1, engine.calls(), "cuDNN did not run");
        assertMatches("convBackwardBias", expected, download(dBias), 128L * 26 * 26, largestMagnitude(absSums));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** The two bounds of the class comment. */
    private static void assertMatches(String what, float[] expected, float[] actual, long reductionLength,
                                      double absSum) {
        assertEquals(expected.length, actual.length, what);
        double bound = reductionLength * Math.scalb(1.0, -23) * absSum;
        double errSquares = 0;
        double refSquares = 0;
        StringBuilder report = new StringBuilder();
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            if (!(diff <= bound)) {
                if (bad < 5) {
                    report.append(String.format("%n  [%d] expected %.8g, got %.8g (diff %.3g)", i, expected[i],
                            actual[i], diff));
                }
                bad++;
            }
            errSquares += diff * diff;
            refSquares += (double) expected[i] * expected[i];
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d values beyond %.3g = L %d * 2^-23 * A %.4g:%s", what, bad,
                    expected.length, bound, reductionLength, absSum, report));
        }
        double rms = refSquares == 0 ? Math.sqrt(errSquares) : Math.sqrt(errSquares / refSquares);
        assertTrue(rms <= RMS_BOUND, String.format("%s: relative rms error %.3g > %.1g (TF32?)", what, rms,
                RMS_BOUND));
    }

    private static void assertBitIdentical(String what, float[] a, float[] b) {
        for (int i = 0; i < a.length; i++) {
            if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                fail(what + ": runs differ at [" + i + "]: " + a[i] + " then " + b[i]);
            }
        }
    }

    private Tensor upload(float[] data, Shape shape) {
        Storage s = backend.allocate(shape.size(), "cudnn test");
        storages.add(s);
        Tensor t = new Tensor(s, 0, shape, "cudnn test");
        backend.upload(t, data, 0);
        return t;
    }

    private Tensor poisoned(Shape shape) {
        float[] nan = new float[size(shape)];
        Arrays.fill(nan, Float.NaN);
        return upload(nan, shape);
    }

    private Tensor scratch(long bytes) {
        long floats = (bytes + Float.BYTES - 1) / Float.BYTES;
        Storage s = backend.allocate(floats, "cudnn workspace");
        storages.add(s);
        return new Tensor(s, 0, Shape.of(Math.toIntExact(floats)), "cudnn workspace");
    }

    private static float[] download(Tensor t) {
        float[] out = new float[size(t.shape())];
        backend.download(out, 0, t);
        return out;
    }

    private static DevicePointer ptr(Tensor t) {
        return ((CudaStorage) t.storage()).at(t.offset());
    }

    private static int size(Shape s) {
        return Math.toIntExact(s.size());
    }

    private static float[] abs(float[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = Math.abs(a[i]);
        }
        return r;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }
}
