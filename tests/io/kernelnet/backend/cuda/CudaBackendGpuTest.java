package io.kernelnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.CrossCheck;
import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Row;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.Compare;
import io.kernelnet.testing.CrossCheckRows;
import io.kernelnet.testing.GpuAssumptions;
import io.kernelnet.testing.GpuBackends;
import io.kernelnet.testing.TestRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The CUDA backend against the CPU reference: every {@link CrossCheck} case with our kernels, the GEMM cases again
 * with TF32 and with cuBLAS (FP32 and TF32), plus what only a device shows: out-of-memory and closed-backend
 * errors, bad labels found by the kernel, memory accounting, and the same refusal messages as the CPU. Skips
 * (assumption, with the reason) where CUDA is not usable.
 *
 * <p>Ordered so that a kernel failing with a sticky error (which ends the process's context, and with it every
 * later test) costs as little as possible: the small tests first, then the cases of our kernels (whose riskiest
 * cases, misaligned tensors, come last), then the other engines.
 */
@Tag("gpu")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CudaBackendGpuTest {
    @RegisterExtension
    static final GpuBackends OPENED = new GpuBackends();

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend reference = new CpuBackend();

    private static CudaBackend open(Engine engine, boolean tf32) {
        if (tf32) {
            GpuAssumptions.tensorCores();
        }
        if (engine == Engine.VENDOR) {
            GpuAssumptions.vendorLibraries();
            VendorLibraries.Status cublas = VendorLibraries.cublas();
            assumeTrue(cublas.loaded(), "cuBLAS: " + cublas.detail());
        }
        CudaBackend backend = new CudaBackend(0, new CudaOptions(engine, tf32, false));
        OPENED.keep(backend);
        return backend;
    }

    // ---- the cross-check cases ----------------------------------------------------------------------------------

    @TestFactory
    @Order(10)
    Stream<DynamicTest> everyCaseWithOurKernels() {
        // conv and pooling cases: CudaConvGpuTest, per engine
        return crossCheck(open(Engine.KERNELS, false), c -> !c.op().startsWith("conv2d") && !c.op().contains("Pool2d"));
    }

    @TestFactory
    @Order(13)
    Stream<DynamicTest> gemmCasesWithOurTf32Kernel() {
        return crossCheck(open(Engine.KERNELS, true), c -> c.op().startsWith("gemm"));
    }

    @TestFactory
    @Order(11)
    Stream<DynamicTest> gemmCasesWithCublasFp32() {
        return crossCheck(open(Engine.VENDOR, false), c -> c.op().startsWith("gemm"));
    }

    @TestFactory
    @Order(12)
    Stream<DynamicTest> gemmCasesWithCublasTf32() {
        return crossCheck(open(Engine.VENDOR, true), c -> c.op().startsWith("gemm"));
    }

    private Stream<DynamicTest> crossCheck(CudaBackend backend, Predicate<Case> which) {
        long seed = rng.seed();
        return CrossCheck.cases(backend.numerics()).stream().filter(which)
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
                    long gemms = backend.counters().gemmCalls();
                    List<Row> rows = CrossCheck.run(c, reference, backend, seed);
                    assertTrue(rows.stream().allMatch(Row::pass), () -> backend.description() + ", seed " + seed
                            + " (replay: -Dkernelnet.test.seed=" + seed + ")\n" + CrossCheckRows.table(rows));
                    if (c.op().startsWith("gemm") && !rows.isEmpty() && !c.shape().contains("=0 ")) {
                        assertTrue(backend.counters().gemmCalls() > gemms, backend.gemmDescription() + " did not run");
                    }
                }));
    }

    // ---- the GPU path really runs ---------------------------------------------------------------------------------

    @Test
    @Order(1)
    void storagesAreDeviceMemoryAndOpsLaunchOurKernels() {
        CudaBackend kernels = open(Engine.KERNELS, false);
        assertEquals("cuda", kernels.name());
        assertEquals(Device.Kind.CUDA, kernels.device().kind());
        Storage s = kernels.allocate(3 * 256, "probe");
        assertInstanceOf(CudaStorage.class, s);
        Tensor a = new Tensor(s, 0, Shape.of(16, 16), "a");
        Tensor c = new Tensor(s, 256, Shape.of(16, 16), "c");
        kernels.upload(a, rng.uniform(256, -1, 1), 0);
        long launches = kernels.counters().kernelLaunches();
        kernels.gemm(c, a, false, a, true, 1, 0);
        assertEquals(launches + 1, kernels.counters().kernelLaunches());
        assertEquals(1, kernels.counters().gemmCalls());
        s.close();
    }

    @Test
    @Order(2)
    void cublasRunsTheGemmsOfTheVendorEngine() {
        CudaBackend vendor = open(Engine.VENDOR, false);
        Storage v = vendor.allocate(2 * 256, "probe");
        Tensor va = new Tensor(v, 0, Shape.of(16, 16), "a");
        Tensor vc = new Tensor(v, 256, Shape.of(16, 16), "c");
        vendor.upload(va, rng.uniform(256, -1, 1), 0);
        long vendorLaunches = vendor.counters().kernelLaunches();
        vendor.gemm(vc, va, false, va, true, 1, 0);
        assertEquals(vendorLaunches, vendor.counters().kernelLaunches(), "cuBLAS, not our kernels, ran the gemm");
        assertEquals(1, vendor.counters().gemmCalls());
        assertTrue(vendor.gemmDescription().startsWith("vendor (cuBLAS "), vendor.gemmDescription());
        v.close();
    }

    // ---- errors a device produces ---------------------------------------------------------------------------------

    @Test
    @Order(3)
    void outOfMemoryNamesTheRequestWhatIsFreeAndTheLabel() {
        CudaBackend backend = open(Engine.KERNELS, false);
        long before = backend.counters().allocatedBytes();
        CudaException e = assertThrows(CudaException.class, () -> backend.allocate(1L << 40, "far too big"));
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());
        assertTrue(e.getMessage().contains("'far too big'") && e.getMessage().contains("1099511627776 floats (4 TiB)")
                && e.getMessage().contains(" free of "), e.getMessage());
        assertEquals(before, backend.counters().allocatedBytes());
    }

    @Test
    @Order(4)
    void aClosedBackendRefusesEveryCallAndItsStoragesAreClosed() {
        CudaBackend backend = new CudaBackend(0, CudaOptions.DEFAULT);
        Storage s = backend.allocate(64, "left open");
        Tensor t = new Tensor(s, 0, Shape.of(64), "t");
        backend.close();
        assertTrue(s.isClosed(), "closing the backend frees what it allocated");
        for (Runnable call : List.<Runnable>of(() -> backend.allocate(1, "x"), () -> backend.sum(t),
                () -> backend.fill(t, 1), backend::synchronize)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call::run);
            assertTrue(e.getMessage().contains("was closed"), e.getMessage());
        }
        backend.close();
    }

    @Test
    @Order(5)
    void aBadLabelFoundByTheKernelGivesTheCpuMessage() {
        CudaBackend backend = open(Engine.KERNELS, false);
        for (float[] labels : new float[][] {{0, 2, 7, 1}, {0, 2.5f, 1, 1}, {0, 1, 1, -1}}) {
            String cpu = badLabelMessage(reference, labels);
            String gpu = badLabelMessage(backend, labels);
            assertEquals(cpu, gpu);
        }
    }

    private String badLabelMessage(Backend b, float[] labels) {
        Storage s = b.allocate(4 * 64, "ce");
        try {
            Tensor logits = new Tensor(s, 0, Shape.of(4, 5), "logits");
            Tensor probs = new Tensor(s, 64, Shape.of(4, 5), "probs");
            Tensor grad = new Tensor(s, 128, Shape.of(4, 5), "dLogits");
            Tensor lab = new Tensor(s, 192, Shape.of(4), "labels");
            b.upload(logits, rng.uniform(20, -1, 1), 0);
            b.upload(lab, labels, 0);
            return assertThrows(IllegalArgumentException.class,
                    () -> b.softmaxCrossEntropySparse(probs, grad, logits, lab)).getMessage();
        } finally {
            s.close();
        }
    }

    @Test
    @Order(6)
    void allocatedAndPeakBytesFollowAllocationsAndStagingStopsGrowing() {
        CudaBackend backend = open(Engine.KERNELS, false);
        long base = backend.counters().allocatedBytes();
        Storage arena = backend.allocate(1_000_000, "arena");
        assertEquals(base + 4_000_000, backend.counters().allocatedBytes());
        Storage extra = backend.allocate(250_000, "extra");
        assertEquals(base + 5_000_000, backend.counters().allocatedBytes());
        long peak = backend.counters().peakAllocatedBytes();
        assertTrue(peak >= base + 5_000_000);
        extra.close();
        assertEquals(base + 4_000_000, backend.counters().allocatedBytes());
        assertEquals(peak, backend.counters().peakAllocatedBytes());

        Tensor batch = new Tensor(arena, 64 * 1000, Shape.of(1000, 100), "batch");
        float[] host = rng.uniform(100_000, -1, 1);
        backend.upload(batch, host, 0);
        long pinned = backend.counters().pinnedBytes();
        float[] back = new float[100_000];
        for (int step = 0; step < 3; step++) {
            backend.upload(batch, host, 0);
            backend.download(back, 0, batch);
        }
        assertEquals(pinned, backend.counters().pinnedBytes(), "steady-state transfers reuse the staging buffer");
        Compare.assertClose("round trip", host, back, 0, 0);
        arena.close();
        assertEquals(base, backend.counters().allocatedBytes());
    }

    // ---- the same refusals as the CPU -----------------------------------------------------------------------------

    @Test
    @Order(7)
    void invalidCallsAreRefusedWithTheCpuMessages() {
        CudaBackend backend = open(Engine.KERNELS, false);
        Map<String, Consumer<Tensors>> calls = Map.ofEntries(
                Map.entry("gemm inner mismatch", t -> t.backend.gemm(t.of(2, 3), t.of(2, 4), false, t.of(5, 3), false,
                        1, 0)),
                Map.entry("gemmBatched batch mismatch", t -> t.backend.gemmBatched(t.of(2, 2, 3), t.of(3, 2, 4), false,
                        t.of(2, 4, 3), false, 1, 0)),
                Map.entry("biasAdd", t -> t.backend.biasAdd(t.of(4, 3), t.of(4))),
                Map.entry("add", t -> t.backend.add(t.of(4), t.of(4), t.of(5))),
                Map.entry("copy", t -> t.backend.copy(t.of(4), t.of(5))),
                Map.entry("softmax axis", t -> t.backend.softmaxForward(t.of(4), t.of(4), 1)),
                Map.entry("log-softmax empty axis", t -> t.backend.logSoftmaxBackward(t.of(2, 0, 3), t.of(2, 0, 3),
                        t.of(2, 0, 3), 1)),
                Map.entry("dropout rate", t -> t.backend.dropoutForward(t.of(4), t.of(4), t.of(4), t.of(8), 1f, 1, 0)),
                Map.entry("dropout step scalars", t -> t.backend.dropoutForward(t.of(4), t.of(4), t.of(4), t.of(4),
                        0.5f, 1, 0)),
                Map.entry("sgd without velocity", t -> t.backend.sgdUpdate(t.of(4), t.of(4), null, t.of(8),
                        new SgdSettings(0.9f, false, 0, false))),
                Map.entry("adam step scalars", t -> t.backend.adamUpdate(t.of(4), t.of(4), t.of(4), t.of(4), t.of(7),
                        new AdamSettings(0.9f, 0.999f, 1e-7f, AdamEpsilon.KERAS, 0, false))),
                Map.entry("argmax indices", t -> t.backend.argmax(t.of(3), t.of(4, 5))),
                Map.entry("sparse labels shape", t -> t.backend.softmaxCrossEntropySparse(t.of(4, 5), t.of(4, 5),
                        t.of(4, 5), t.of(5))),
                Map.entry("upload range", t -> t.backend.upload(t.of(4), new float[3], 0)),
                Map.entry("download range", t -> t.backend.download(new float[4], 1, t.of(4))));
        for (Map.Entry<String, Consumer<Tensors>> call : calls.entrySet()) {
            assertEquals(refusal(reference, call.getValue()), refusal(backend, call.getValue()), call.getKey());
        }
    }

    /** Tensors of given shapes on one backend, each in its own storage, closed afterwards. */
    private static final class Tensors {
        final Backend backend;
        final List<Storage> storages = new ArrayList<>();

        Tensors(Backend backend) {
            this.backend = backend;
        }

        Tensor of(int... dims) {
            Shape shape = Shape.of(dims);
            Storage s = backend.allocate(shape.size(), "t");
            storages.add(s);
            return new Tensor(s, 0, shape, "t" + storages.size());
        }
    }

    private static String refusal(Backend b, Consumer<Tensors> call) {
        Tensors tensors = new Tensors(b);
        try {
            return assertThrows(IllegalArgumentException.class, () -> call.accept(tensors)).getMessage();
        } finally {
            tensors.storages.forEach(Storage::close);
        }
    }

    @Test
    @Order(8)
    void aTensorOfAnotherBackendIsRefused() {
        CudaBackend backend = open(Engine.KERNELS, false);
        Tensor host = Tensor.zeros(Shape.of(4));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> backend.fill(host, 1));
        assertTrue(e.getMessage().startsWith("fill: dst") && e.getMessage().contains("lives on cpu"), e.getMessage());
    }
}
