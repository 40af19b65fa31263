package io.kernelnet.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.nn.Conv2D;
import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Dropout;
import io.kernelnet.nn.Flatten;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import io.kernelnet.train.Sgd;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Training N epochs straight and training k epochs, saving, loading into a fresh model on a fresh backend and
 * training to N give bit-identical parameters, optimizer state and History: on both CPU backends, with Adam and
 * with SGD + momentum, with Dropout and shuffling, and with a last batch smaller than the others.
 */
class ResumeTest {
    private static final int EPOCHS = 4;
    private static final int BATCH = 16;
    private static final int EXAMPLES = 45;
    /** Logged per epoch but measured, not computed: they differ from run to run. */
    private static final List<String> TIMINGS = List.of("epoch_seconds", "examples_per_second");

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    static Stream<Arguments> backendsAndOptimizers() {
        List<Arguments> cases = new ArrayList<>();
        Map<String, Supplier<Backend>> backends = new LinkedHashMap<>();
        backends.put("cpu-reference", CpuBackend::new);
        backends.put("cpu", FastCpuBackend::new);
        Map<String, Supplier<Optimizer>> optimizers = new LinkedHashMap<>();
        optimizers.put("adam", () -> new Adam(0.01f));
        optimizers.put("adam, pytorch epsilon", () -> new Adam(0.01f).epsilonPlacement(AdamEpsilon.PYTORCH));
        optimizers.put("sgd+momentum", () -> new Sgd(0.05f, 0.9f, false, 0f));
        optimizers.put("sgd+momentum, decoupled decay", () -> new Sgd(0.05f, 0.9f, false, 0.01f, true));
        backends.forEach((b, backend) -> optimizers.forEach((o, optimizer) ->
                cases.add(Arguments.of(b, backend, o, optimizer))));
        return cases.stream();
    }

    /**
     * A small conv net with dropout, large enough that the fast backend takes its multi-threaded paths (a
     * 16 x 16 x 14 x 14 activation, a 16 x 32 x 3136 GEMM); what the two runs share besides the data.
     */
    private record Setup(Examples train, Examples validation, long seed, long shuffleSeed) {
        Model model(Optimizer optimizer) {
            Model m = new Sequential(1, 16, 16)
                    .add(new Conv2D(16, 3).activation("relu"))
                    .add(new Flatten())
                    .add(new Dense(32, "relu"))
                    .add(new Dropout(0.25))
                    .add(new Dense(3, "softmax"));
            m.seed(seed).compile(optimizer, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            return m;
        }

        FitOptions epochs(int n) {
            return FitOptions.defaults().epochs(n).batchSize(BATCH).validationData(validation).shuffleSeed(shuffleSeed)
                    .verbose(0);
        }
    }

    private Setup setup() {
        return new Setup(
                Examples.of(rng.uniform(EXAMPLES * 256, 0, 1), Shape.of(1, 16, 16), rng.labels(EXAMPLES, 3), Shape.of()),
                Examples.of(rng.uniform(10 * 256, 0, 1), Shape.of(1, 16, 16), rng.labels(10, 3), Shape.of()),
                rng.random().nextLong(), rng.random().nextLong());
    }

    /** What a run ends with. */
    private record Outcome(Map<String, float[]> parameters, Map<String, float[]> optimizerState, long steps,
                           long generatorOffset, Map<String, List<Double>> history) {
        static Outcome of(Model m, Map<String, List<Double>> history) {
            return new Outcome(m.parameters(), m.state().optimizerState(), m.stepCount(), m.state().generatorOffset(),
                    history);
        }

        void assertBitIdentical(Outcome other) {
            assertEquals(history, other.history, "History");
            assertEquals(steps, other.steps, "steps");
            assertEquals(generatorOffset, other.generatorOffset, "dropout generator offset");
            assertEquals(parameters.keySet(), other.parameters.keySet());
            parameters.forEach((name, v) -> assertArrayEquals(v, other.parameters.get(name), name));
            assertEquals(optimizerState.keySet(), other.optimizerState.keySet());
            optimizerState.forEach((name, v) -> assertArrayEquals(v, other.optimizerState.get(name), name));
        }
    }

    /** Every logged value per epoch except the timings, over one or more fit calls in order. */
    private static Map<String, List<Double>> computedLogs(History... runs) {
        Map<String, List<Double>> logs = new LinkedHashMap<>();
        for (History h : runs) {
            h.all().forEach((key, values) -> {
                if (!TIMINGS.contains(key)) {
                    logs.computeIfAbsent(key, k -> new ArrayList<>()).addAll(values);
                }
            });
        }
        return logs;
    }

    private static Outcome straight(Setup s, Supplier<Backend> backend, Supplier<Optimizer> optimizer) {
        try (Backend b = backend.get(); Model m = s.model(optimizer.get())) {
            m.build(BATCH, b);
            return Outcome.of(m, computedLogs(m.fit(s.train(), s.epochs(EPOCHS))));
        }
    }

    /** Trains {@code k} epochs and saves; returns the first part of the History. */
    private static History trainAndSave(Setup s, Supplier<Backend> backend, Supplier<Optimizer> optimizer, int k,
                                        Path file) throws Exception {
        try (Backend b = backend.get(); Model m = s.model(optimizer.get())) {
            m.build(BATCH, b);
            History first = m.fit(s.train(), s.epochs(k));
            Checkpoints.save(m, file);
            return first;
        }
    }

    @ParameterizedTest(name = "{0}, {2}")
    @MethodSource("backendsAndOptimizers")
    void resumingFromACheckpointContinuesBitForBit(String backendName, Supplier<Backend> backend, String optimizerName,
                                                    Supplier<Optimizer> optimizer) throws Exception {
        Setup s = setup();
        Outcome straight = straight(s, backend, optimizer);
        int k = 1 + rng.nextInt(EPOCHS - 1);
        Path file = dir.resolve("resume.safetensors");
        History first = trainAndSave(s, backend, optimizer, k, file);
        try (Backend b = backend.get(); Model m = Checkpoints.load(file, b, BATCH)) {
            assertEquals(k, m.epochsDone());
            History rest = m.fit(s.train(), s.epochs(EPOCHS - k));
            straight.assertBitIdentical(Outcome.of(m, computedLogs(first, rest)));
        }
        assertFalse(straight.optimizerState().isEmpty(), "the optimizer has state to restore");
    }

    /** The comparison above notices a resume that loses the optimizer state: it is not passing vacuously. */
    @Test
    void aResumeWithoutTheOptimizerStateDiffers() throws Exception {
        Setup s = setup();
        Outcome straight = straight(s, CpuBackend::new, Adam::new);
        Path file = dir.resolve("resume.safetensors");
        History first = trainAndSave(s, CpuBackend::new, Adam::new, 2, file);
        try (Backend b = new CpuBackend(); Model m = Checkpoints.load(file, b, BATCH)) {
            m.state().optimizerStateShapes().forEach((name, shape) ->
                    m.state().setOptimizerState(name, new float[(int) shape.size()]));
            History rest = m.fit(s.train(), s.epochs(EPOCHS - 2));
            Outcome resumed = Outcome.of(m, computedLogs(first, rest));
            assertThrows(AssertionError.class, () -> straight.assertBitIdentical(resumed));
            assertFalse(Arrays.equals(straight.parameters().get("dense/kernel"), resumed.parameters().get("dense/kernel")));
        }
    }

    @Test
    void theShuffleOrderDependsOnTheEpochNotOnHowManyEpochsRanBefore() throws Exception {
        Setup s = setup();
        Outcome straight = straight(s, CpuBackend::new, Adam::new);
        try (Backend b = new CpuBackend(); Model m = s.model(new Adam())) {
            m.build(BATCH, b);
            List<History> epochs = new ArrayList<>();
            for (int e = 0; e < EPOCHS; e++) {
                epochs.add(m.fit(s.train(), s.epochs(1)));
            }
            straight.assertBitIdentical(Outcome.of(m, computedLogs(epochs.toArray(History[]::new))));
        }
    }

    @Test
    void aCheckpointHoldsTheOptimizerStateAndCountersByName() throws Exception {
        Setup s = setup();
        Path file = dir.resolve("resume.safetensors");
        trainAndSave(s, CpuBackend::new, Adam::new, 1, file);
        SafeTensors.Contents contents = SafeTensors.read(file);
        assertEquals(Checkpoints.FORMAT, contents.metadata().get("format"));
        assertTrue(contents.tensors().containsKey("optimizer/m/dense/kernel"), contents.tensors().keySet().toString());
        assertTrue(contents.tensors().containsKey("optimizer/v/conv2d/bias"), contents.tensors().keySet().toString());
        assertEquals(contents.tensors().get("dense/kernel").shape(), contents.tensors().get("optimizer/v/dense/kernel").shape());
        @SuppressWarnings("unchecked")
        Map<String, Object> training = (Map<String, Object>) Json.parse(contents.metadata().get("training"));
        assertEquals(1L, training.get("epochs"));
        assertEquals((long) Math.ceil(EXAMPLES / (double) BATCH), training.get("steps"));
        assertEquals(s.seed(), training.get("seed"));
    }
}
