package io.kernelnet.backend.cuda;

import static io.kernelnet.testing.ReproducibleTraining.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kernelnet.nn.Conv2D;
import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Dropout;
import io.kernelnet.nn.Flatten;
import io.kernelnet.nn.MaxPooling2D;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.GpuAssumptions;
import io.kernelnet.testing.ReproducibleTraining.Result;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Callback;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.LearningRateScheduler;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Sgd;
import io.kernelnet.train.TrainingDivergedException;
import io.kernelnet.train.TrainingRun;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Training steps captured into CUDA graphs and replayed (CudaOptions.graphs) against the same training with plain
 * launches, deterministic: the same history and parameters bit for bit, with the dropout position, Adam's step
 * number and a scheduled learning rate changing under the replays, per epoch and before every step (a value frozen
 * into the graph would repeat in every replay); a partial last batch runs plainly; the replays are counted, so the
 * test knows the graph path ran. And the batch's uploads, which do not wait: each lands where it should though the
 * host reuses its array at once. Skips (assumption, with the reason) without a GPU.
 */
@Tag("gpu")
class CudaStepGraphGpuTest {
    private static final int BATCH = 32;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @BeforeEach
    void needsAUsableGpu() {
        GpuAssumptions.usableDevice();
    }

    private static Model cnn() {
        Model m = new Sequential(1, 12, 12).add(new Conv2D(8, 3).activation("relu")).add(new MaxPooling2D(2))
                .add(new Flatten()).add(new Dropout(0.1)).add(new Dense(10, "softmax"));
        m.seed(4).compile(new Sgd(0.05f, 0.9f, false, 0), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    private Examples data(int n, Shape input) {
        int size = Math.toIntExact(input.size());
        return Examples.of(rng.uniform(n * size, -1, 1), input, rng.labels(n, 10), Shape.of());
    }

    /** One run's numbers and what the backend says it did. */
    private record Run(Result result, History history, long steps, long generatorOffset, long captures, long replays,
                       List<String> refusals) {
    }

    /** Halves the learning rate every epoch after the first. */
    private static Callback decayPerEpoch() {
        return new LearningRateScheduler((epoch, lr) -> epoch == 0 ? lr : lr * 0.5);
    }

    /** Sets a new learning rate before every step: the base rate times 1, 1/2, 1/3, 1/4, 1/5, 1, 1/2, ... */
    private static Callback newRateEveryStep() {
        return new Callback() {
            private float base = Float.NaN;

            @Override
            public void onBatchBegin(TrainingRun run, int epoch, int batch) {
                if (Float.isNaN(base)) {
                    base = run.optimizer().learningRate();
                }
                run.optimizer().learningRate(base / (1 + run.stepCount() % 5));
            }
        };
    }

    private static Run train(CudaOptions options, Supplier<Model> compiled, Examples data, int epochs,
                             Callback schedule) {
        try (CudaBackend cuda = new CudaBackend(0, options); Model model = compiled.get()) {
            model.build(BATCH, cuda);
            History h = model.fit(data, FitOptions.defaults().epochs(epochs).batchSize(BATCH).shuffleSeed(5)
                    .verbose(0).callbacks(schedule));
            CudaCounters counters = cuda.counters();
            return new Run(new Result(h.get("loss"), model.parameters()), h, model.stepCount(),
                    model.state().generatorOffset(), counters.graphCaptures(), counters.graphReplays(),
                    counters.graphRefusals());
        }
    }

    private static void assertGraphsChangeNothing(CudaOptions options, Supplier<Model> model, Examples data) {
        assertGraphsChangeNothing(options, model, data, CudaStepGraphGpuTest::decayPerEpoch);
    }

    private static void assertGraphsChangeNothing(CudaOptions options, Supplier<Model> model, Examples data,
                                                  Supplier<Callback> schedule) {
        int epochs = 3;
        Run plain = train(options.withGraphs(false), model, data, epochs, schedule.get());
        Run graphs = train(options.withGraphs(true), model, data, epochs, schedule.get());
        assertBitIdentical(plain.result(), graphs.result(), "graphs on vs off, " + options);
        assertEquals(plain.history().get("accuracy"), graphs.history().get("accuracy"));
        assertEquals(plain.steps(), graphs.steps());
        assertEquals(plain.generatorOffset(), graphs.generatorOffset());
        assertEquals(0, plain.replays());
        int fullBatches = data.count() / BATCH;
        assertTrue(data.count() % BATCH != 0, "the data ends in a partial batch");
        assertEquals(List.of(), graphs.refusals(), "no capture failed");
        assertEquals(1, graphs.captures(), "one shape captured (full batches; the partial one runs plainly)");
        // the first full step runs plainly, the second is captured and launched as a graph, the rest replay it
        assertEquals((long) fullBatches * epochs - 1, graphs.replays());
    }

    @Test
    void mlpWithDropoutAndAdamTrainsBitIdenticallyWithGraphs() {
        assertGraphsChangeNothing(new CudaOptions(Engine.KERNELS, false, true), CudaReliabilityGpuTest::mlp,
                data(BATCH * 7 + 5, Shape.of(64)));
    }

    @Test
    void cnnWithSgdMomentumTrainsBitIdenticallyWithGraphsOnOurKernels() {
        assertGraphsChangeNothing(new CudaOptions(Engine.KERNELS, false, true), CudaStepGraphGpuTest::cnn,
                data(BATCH * 5 + 9, Shape.of(1, 12, 12)));
    }

    /**
     * Every step reads a learning rate of its own and draws dropout at a new position, Adam's bias corrections
     * follow the step number: graphs or not, the same bits. A per-step value that reached a kernel by value would be
     * the capture's in every replay, and this would fail.
     */
    @Test
    void aLearningRateSetBeforeEveryStepTrainsBitIdenticallyWithGraphs() {
        assertGraphsChangeNothing(new CudaOptions(Engine.KERNELS, false, true), CudaReliabilityGpuTest::mlp,
                data(BATCH * 7 + 5, Shape.of(64)), CudaStepGraphGpuTest::newRateEveryStep);
        assertGraphsChangeNothing(new CudaOptions(Engine.KERNELS, false, true), CudaStepGraphGpuTest::cnn,
                data(BATCH * 5 + 9, Shape.of(1, 12, 12)), CudaStepGraphGpuTest::newRateEveryStep);
    }

    @Test
    void cnnTrainsBitIdenticallyWithGraphsOnCudnn() {
        GpuAssumptions.vendorLibraries();
        CudaOptions vendor = new CudaOptions(Engine.VENDOR, false, true);
        try (CudaBackend probe = new CudaBackend(0, vendor)) {
            assumeTrue(probe.vendorConvAvailable(), "cuDNN: " + probe.vendorConvUnavailableReason());
        }
        assertGraphsChangeNothing(vendor, CudaStepGraphGpuTest::cnn, data(BATCH * 5 + 9, Shape.of(1, 12, 12)));
    }

    @Test
    void aDivergingRunStopsAtTheSameStepAndLayerWithGraphs() {
        Examples data = data(BATCH * 6, Shape.of(64));
        TrainingDivergedException[] stops = new TrainingDivergedException[2];
        float[][] kept = new float[2][];
        for (int g = 0; g < 2; g++) {
            try (CudaBackend cuda = new CudaBackend(0, new CudaOptions(Engine.KERNELS, false, true, g == 1));
                 Model model = new Sequential(64).add(new Dense(128, "relu")).add(new Dense(10, "softmax"))) {
                model.seed(3).compile(new Adam(1e30f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
                model.build(BATCH, cuda);
                stops[g] = assertThrows(TrainingDivergedException.class,
                        () -> model.fit(data, FitOptions.defaults().epochs(2).batchSize(BATCH).verbose(0)));
                kept[g] = model.parameters().get("dense/kernel");
                assertEquals(g, cuda.counters().graphCaptures(), "the bad step ran as a graph");
                assertEquals(List.of(), cuda.counters().graphRefusals());
            }
        }
        assertEquals(stops[0].getMessage(), stops[1].getMessage());
        assertEquals(stops[0].step(), stops[1].step());
        assertEquals(stops[0].layer(), stops[1].layer());
        assertEquals(kept[0].length, kept[1].length);
        for (int i = 0; i < kept[0].length; i++) {
            assertEquals(Float.floatToRawIntBits(kept[0][i]), Float.floatToRawIntBits(kept[1][i]), "dense/kernel[" + i + "]");
        }
    }

    @ParameterizedTest(name = "landing buffers reserved: {0}")
    @ValueSource(booleans = {false, true})
    void queuedUploadsLandInOrderThoughTheHostReusesItsArrayAtOnce(boolean reserved) {
        int count = QueuedUploads.SLOTS * 3 + 1;
        int n = 100_003;
        try (CudaBackend cuda = new CudaBackend(0, CudaOptions.DEFAULT)) {
            if (reserved) {
                cuda.reserveAsyncUploads(n);  // copies on the second stream, then moved on the backend's
            }
            Storage storage = cuda.allocate((long) count * n, "queued uploads");
            float[] host = new float[n];
            float[][] sent = new float[count][];
            long pinnedAfterFirstRound = 0;
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < count; i++) {
                    sent[i] = rng.uniform(n, -1, 1);
                    System.arraycopy(sent[i], 0, host, 0, n);
                    cuda.uploadAsync(new Tensor(storage, (long) i * n, Shape.of(n), "t" + i), host, 0);
                    Arrays.fill(host, Float.NaN);  // reused at once: the upload must have read it already
                }
                float[] back = new float[n];
                for (int i = 0; i < count; i++) {
                    cuda.download(back, 0, new Tensor(storage, (long) i * n, Shape.of(n), "t" + i));
                    for (int j = 0; j < n; j++) {
                        assertEquals(Float.floatToRawIntBits(sent[i][j]), Float.floatToRawIntBits(back[j]),
                                "round " + round + ", upload " + i + ", element " + j);
                    }
                }
                if (round == 0) {
                    pinnedAfterFirstRound = cuda.counters().pinnedBytes();
                } else {
                    assertEquals(pinnedAfterFirstRound, cuda.counters().pinnedBytes(),
                            "the second round reuses the pinned buffers");
                }
            }
            assertEquals(reserved ? 2L * count : 0L, cuda.counters().overlappedUploads());
            storage.close();
        }
    }

    /**
     * The step before reads the destination while the next batch is on its way: with landing buffers the ops queued
     * between two uploads still see the first one's data, and the ops after the second see the second's.
     */
    @Test
    void anOverlappedUploadLandsAfterTheOpsQueuedBeforeIt() {
        int n = 300_001;
        try (CudaBackend cuda = new CudaBackend(0, CudaOptions.DEFAULT)) {
            cuda.reserveAsyncUploads(n);
            Storage storage = cuda.allocate(3L * n, "overlap");
            Tensor dst = new Tensor(storage, 0, Shape.of(n), "dst");
            Tensor first = new Tensor(storage, n, Shape.of(n), "first");
            Tensor second = new Tensor(storage, 2L * n, Shape.of(n), "second");
            float[] a = rng.uniform(n, -1, 1);
            float[] b = rng.uniform(n, -1, 1);
            for (int round = 0; round < 3; round++) {
                cuda.uploadAsync(dst, a, 0);
                for (int k = 0; k < 20; k++) {
                    cuda.add(first, dst, dst);  // keeps the stream busy reading dst
                }
                cuda.uploadAsync(dst, b, 0);
                cuda.add(second, dst, dst);
                float[] back = new float[n];
                cuda.download(back, 0, first);
                for (int j = 0; j < n; j++) {
                    assertEquals(a[j] + a[j], back[j], "round " + round + ": first, element " + j);
                }
                cuda.download(back, 0, second);
                for (int j = 0; j < n; j++) {
                    assertEquals(b[j] + b[j], back[j], "round " + round + ": second, element " + j);
                }
            }
            assertEquals(6, cuda.counters().overlappedUploads());
            storage.close();
        }
    }
}
