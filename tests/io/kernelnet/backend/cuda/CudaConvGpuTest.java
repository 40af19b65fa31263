package io.kernelnet.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.CrossCheck;
import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Row;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.data.MnistLoader;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.nn.Model;
import io.kernelnet.testing.CrossCheckRows;
import io.kernelnet.testing.GpuAssumptions;
import io.kernelnet.testing.GpuBackends;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import java.util.List;
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
 * Convolution and pooling on the CUDA backend against the CPU reference, per engine: every conv/pool
 * {@link CrossCheck} case (odd sizes, stride 2, 'same' and 'valid', dilation 2, batch 1 and 7, the cnn's layers at
 * batch 128; outputs start as NaN; bounds on CrossCheckCases) with our kernels and with cuDNN, each asserting that
 * the engine under test ran (call counters). Then the cnn trained for one epoch (469 steps) with each engine, whose
 * loss and test accuracy must match the CPU's. Skips (assumption, with the reason) without a usable GPU, and the
 * cuDNN parts without cuDNN.
 */
@Tag("gpu")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CudaConvGpuTest {
    @RegisterExtension
    static final GpuBackends OPENED = new GpuBackends();
    /** One epoch of the cnn: the loss may differ by this fraction of the CPU's, the test accuracy by 0.5 points. */
    private static final int BATCH = 128;
    private static final double LOSS_RELATIVE = 0.03;
    private static final double ACCURACY_POINTS = 0.005;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private final CpuBackend reference = new CpuBackend();

    private static CudaBackend open(Engine engine) {
        if (engine == Engine.VENDOR) {
            GpuAssumptions.vendorLibraries();
        }
        CudaBackend backend = new CudaBackend(0, CudaOptions.DEFAULT.withEngine(engine));
        OPENED.keep(backend);
        if (engine == Engine.VENDOR) {
            assumeTrue(backend.vendorConvAvailable(), "cuDNN: " + backend.vendorConvUnavailableReason());
        }
        return backend;
    }

    private static boolean convOrPool(Case c) {
        return c.op().startsWith("conv2d") || c.op().contains("Pool2d");
    }

    @TestFactory
    @Order(1)
    Stream<DynamicTest> convAndPoolCasesWithOurKernels() {
        return crossCheck(open(Engine.KERNELS), Engine.KERNELS, CudaConvGpuTest::convOrPool, r -> true);
    }

    /** cuDNN's max-pool keeps no argmax of ours (its backward reads x and y), so argmax is not compared. */
    @TestFactory
    @Order(2)
    Stream<DynamicTest> convAndPoolCasesWithCudnn() {
        return crossCheck(open(Engine.VENDOR), Engine.VENDOR, CudaConvGpuTest::convOrPool,
                r -> !r.output().equals("argmax"));
    }

    private Stream<DynamicTest> crossCheck(CudaBackend backend, Engine engine, Predicate<Case> which,
                                           Predicate<Row> compared) {
        long seed = rng.seed();
        return CrossCheck.cases(backend.numerics()).stream().filter(which)
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> {
                    long convs = backend.counters().convCalls(engine);
                    long ourPools = backend.counters().poolCalls(Engine.KERNELS);
                    long vendorPools = backend.counters().poolCalls(Engine.VENDOR);
                    List<Row> rows = CrossCheck.run(c, reference, backend, seed).stream().filter(compared).toList();
                    assertTrue(rows.stream().allMatch(Row::pass), () -> backend.description() + ", seed " + seed
                            + " (replay: -Dkernelnet.test.seed=" + seed + ")\n" + CrossCheckRows.table(rows));
                    if (c.op().startsWith("conv2d")) {
                        // cuDNN may refuse a shape (asymmetric padding): then ours must have run, and say why
                        boolean ran = backend.counters().convCalls(engine) > convs;
                        assertTrue(ran || engine == Engine.VENDOR && backend.counters().convCalls(Engine.KERNELS) > 0,
                                engine.label() + " did not run " + c);
                    } else {
                        // cuDNN pads symmetrically only: the uneven 'same' shapes are ours under every engine
                        boolean cudnn = engine == Engine.VENDOR && CudnnConv.supports(c.pool().orElseThrow());
                        CudaCounters counters = backend.counters();
                        assertEquals(cudnn, counters.poolCalls(Engine.VENDOR) > vendorPools, "cuDNN ran " + c);
                        assertEquals(!cudnn, counters.poolCalls(Engine.KERNELS) > ourPools, "our kernels ran " + c);
                    }
                }));
    }

    @Test
    @Order(3)
    void autoTimesEachConvShapeAtBuildAndSummaryPrintsTheChoice() {
        CudaBackend backend = open(Engine.AUTO);
        try (Model model = MnistModels.cnn()) {
            model.compile(new Adam(1e-3f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            model.build(128, backend);
            String summary = model.summary();
            long lines = summary.lines().filter(l -> l.startsWith("    conv on cuda: ")).count();
            assertEquals(3, lines, summary);
            if (backend.vendorConvAvailable()) {
                assertTrue(summary.contains(" ms vs "), "auto timed both engines:\n" + summary);
            } else {
                assertTrue(summary.contains("cuDNN unavailable"), summary);
            }
        }
    }

    // ---- the cnn trained with each engine --------------------------------------------------------------------------

    private static History trainCnn(Backend backend, Examples[] data, double[] testAccuracy) {
        try (Model model = MnistModels.cnn()) {
            model.seed(42).compile(new Adam(1e-3f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            model.build(BATCH, backend);
            History h = model.fit(data[0], FitOptions.defaults().epochs(1).batchSize(BATCH).shuffleSeed(42)
                    .validationData(data[1]).verbose(0));
            testAccuracy[0] = h.last("val_accuracy");
            return h;
        }
    }

    /**
     * {train, test}: the bundled digits; on the emulated device, which runs the kernels about ten times slower than
     * the CPU path, the first 2048 and 512 of them.
     */
    private static Examples[] data() throws Exception {
        MnistLoader.Sets sets = MnistLoader.loadBundled();
        if (CudaRuntime.availability().emulated()) {
            return new Examples[] {sets.train().range(0, 2048), sets.test().range(0, 512)};
        }
        return new Examples[] {sets.train(), sets.test()};
    }

    private static History cpuHistory;
    private static double cpuAccuracy;

    private static synchronized History cpu(Examples[] data) {
        if (cpuHistory == null) {
            double[] acc = new double[1];
            try (FastCpuBackend cpu = new FastCpuBackend()) {
                cpuHistory = trainCnn(cpu, data, acc);
            }
            cpuAccuracy = acc[0];
        }
        return cpuHistory;
    }

    @Test
    @Order(4)
    void cnnTrainsLikeTheCpuWithOurKernels() throws Exception {
        trainAndCompare(Engine.KERNELS);
    }

    @Test
    @Order(5)
    void cnnTrainsLikeTheCpuWithCudnn() throws Exception {
        trainAndCompare(Engine.VENDOR);
    }

    private void trainAndCompare(Engine engine) throws Exception {
        CudaBackend backend = open(engine);
        Examples[] data = data();
        double[] acc = new double[1];
        Engine other = engine == Engine.KERNELS ? Engine.VENDOR : Engine.KERNELS;
        long convs = backend.counters().convCalls(engine);
        long otherConvs = backend.counters().convCalls(other);
        History gpu = trainCnn(backend, data, acc);
        History cpu = cpu(data);
        // the calls of steps replayed from a CUDA graph are not counted: those of the first steps and evaluation are
        assertTrue(backend.counters().convCalls(engine) > convs, engine.label() + " ran the convolutions");
        assertEquals(otherConvs, backend.counters().convCalls(other), other.label() + " ran none");
        double cpuLoss = cpu.last("loss");
        double gpuLoss = gpu.last("loss");
        assertTrue(Math.abs(gpuLoss - cpuLoss) <= LOSS_RELATIVE * cpuLoss, String.format(
                "%s: epoch loss %.5f vs cpu %.5f", backend.description(), gpuLoss, cpuLoss));
        assertTrue(Math.abs(acc[0] - cpuAccuracy) <= ACCURACY_POINTS, String.format(
                "%s: test accuracy %.4f vs cpu %.4f", backend.description(), acc[0], cpuAccuracy));
    }
}
