package io.kernelnet.io;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.ModelState;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.testing.FailingBackend;
import io.kernelnet.testing.StorageRecorder;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import io.kernelnet.train.Sgd;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A model's checkpoint: round trip, rebuilt architecture, refusal of another architecture, a damaged file, missing
 * optimizer state or bad counters; format-1 files for inference only.
 */
class CheckpointsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    private Examples digits(int n) {
        return Examples.of(rng.uniform(n * 784, 0, 1), Shape.of(1, 28, 28), rng.labels(n, 10), Shape.of());
    }

    @Test
    void aSavedModelReloadsWithTheSameWeightsCountersAndResults() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        Examples data = digits(20);
        Model.Evaluation before;
        try (Model m = MnistModels.mlp()) {
            m.seed(rng.seed()).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            m.fit(data, FitOptions.defaults().epochs(2).batchSize(8).verbose(0));
            before = m.evaluate(data, 8);
            Checkpoints.save(m, file);
            try (Model loaded = Checkpoints.load(file, new CpuBackend(), 5)) {
                assertEquals(2, loaded.epochsDone());
                assertEquals(m.stepCount(), loaded.stepCount());
                assertEquals(m.state().generatorOffset(), loaded.state().generatorOffset());
                assertArrayEquals(m.parameters().get("dense/kernel"), loaded.parameters().get("dense/kernel"));
                Model.Evaluation after = loaded.evaluate(data, 5);
                assertEquals(before.accuracy(), after.accuracy(), 0);
                assertEquals(before.loss(), after.loss(), 1e-6);
                assertEquals("adam", loaded.optimizer().name());
            }
        }
        assertEquals(1, Files.list(dir).count(), "no temporary file left beside the checkpoint");
    }

    @Test
    void aCheckpointOfAnotherArchitectureIsRefusedNamingTheTensor() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (Model mlp = MnistModels.mlp(); Model cnn = MnistModels.cnn()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, file);
            cnn.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            cnn.build(2, new CpuBackend());
            Map<String, float[]> before = cnn.parameters();
            FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoints.loadWeights(cnn, file));
            assertTrue(e.getMessage().contains("conv2d/kernel") || e.getMessage().contains("dense/kernel"), e.getMessage());
            assertEquals(file.toString(), e.source());
            assertSameValues(before, cnn.parameters(), "the model's weights after the refusal");
        }
    }

    @Test
    void aTruncatedCheckpointIsRefused() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (Model mlp = MnistModels.mlp()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, file);
        }
        byte[] bytes = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - 100));
        FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoints.load(file, new CpuBackend(), 2));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertEquals(file.toString(), e.source());
    }

    /** The file {@code save} writes, rewritten with the given metadata entries and without optimizer state. */
    private static void rewrite(Path file, Map<String, String> metadataChanges, boolean keepOptimizerState)
            throws Exception {
        SafeTensors.Contents contents = SafeTensors.read(file);
        LinkedHashMap<String, SafeTensors.TensorData> tensors = new LinkedHashMap<>(contents.tensors());
        if (!keepOptimizerState) {
            tensors.keySet().removeIf(name -> name.startsWith(ModelState.OPTIMIZER_STATE_PREFIX));
        }
        Map<String, String> metadata = new LinkedHashMap<>(contents.metadata());
        metadata.putAll(metadataChanges);
        SafeTensors.write(file, tensors, metadata);
    }

    /** A small file whose architecture asks for a 784 x 50,000,000 kernel: refused from the header, nothing allocated. */
    @Test
    void anArchitectureAskingForMoreThanTheFileHoldsIsRefusedBeforeAllocating() throws Exception {
        Path file = dir.resolve("greedy.safetensors");
        try (Model mlp = MnistModels.mlp()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, file);
        }
        String architecture = SafeTensors.read(file).metadata().get("architecture");
        assertTrue(architecture.contains("\"units\":128"), architecture);
        rewrite(file, Map.of("architecture", architecture.replace("\"units\":128", "\"units\":50000000")), true);
        // any allocation would throw IllegalStateException: the refusal must come first, as a format error
        FileFormatException e = assertThrows(FileFormatException.class,
                () -> Checkpoints.load(file, FailingBackend.onAllocate(new CpuBackend()), 2));
        assertTrue(e.getMessage().contains("dense/kernel") && e.getMessage().contains("50000000"), e.getMessage());
    }

    @Test
    void aFormatOneFileWithoutOptimizerStateIsEvaluatedButNotResumed() throws Exception {
        Path file = dir.resolve("old.safetensors");
        float[] kernel;
        try (Model mlp = MnistModels.mlp()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            // not the initial weights, which the rebuilt model (same seed) would have anyway
            kernel = rng.normal(mlp.parameters().get("dense/kernel").length);
            mlp.setParameter("dense/kernel", kernel);
            Checkpoints.save(mlp, file);
        }
        rewrite(file, Map.of("format", Checkpoints.FORMAT_WITHOUT_OPTIMIZER_STATE), false);
        FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoints.load(file, new CpuBackend(), 2));
        assertTrue(e.getMessage().contains("no optimizer state") && e.getMessage().contains(file.toString()), e.getMessage());
        try (Model loaded = Checkpoints.loadForInference(file, new CpuBackend(), 2)) {
            assertArrayEquals(kernel, loaded.parameters().get("dense/kernel"));
        }
    }

    @Test
    void aCheckpointMissingItsOptimizerStateOrWithBadCountersIsRefused() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (Model mlp = MnistModels.mlp()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, file);
        }
        rewrite(file, Map.of(), false);
        FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoints.load(file, new CpuBackend(), 2));
        assertTrue(e.getMessage().contains("optimizer/m/dense/kernel") && e.getMessage().contains(file.toString()),
                e.getMessage());

        Path counters = dir.resolve("counters.safetensors");
        try (Model mlp = MnistModels.mlp()) {
            mlp.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, counters);
        }
        Map<String, String> badCounters = new LinkedHashMap<>();
        badCounters.put("-1, 0, 0, 1", "'training.epochs' must be an integer from 0 to 2147483647, is -1");
        badCounters.put("2147483648, 0, 0, 1", "'training.epochs' must be an integer from 0 to 2147483647, is 2147483648");
        badCounters.put("1, 0.5, 0, 1", "'training.steps' must be an integer from 0");
        badCounters.put("1, -1, 0, 1", "'training.steps' must be an integer from 0");
        badCounters.put("1, 0, -1, 1", "'training.generator_offset' must be an integer from 0");
        badCounters.put("1, 0, 0, \"1\"", "'training.seed' must be an integer");
        for (Map.Entry<String, String> bad : badCounters.entrySet()) {
            rewrite(counters, Map.of("training", training(bad.getKey())), true);
            FileFormatException refused = assertThrows(FileFormatException.class,
                    () -> Checkpoints.load(counters, new CpuBackend(), 2), bad.getKey());
            assertTrue(refused.getMessage().contains(bad.getValue()) && refused.getMessage().contains(counters.toString()),
                    refused.getMessage());
        }
        rewrite(counters, Map.of("training", training("2147483647, 9223372036854775807, 9223372036854775807, -5")), true);
        try (Model loaded = Checkpoints.load(counters, new CpuBackend(), 2)) {
            assertEquals(Integer.MAX_VALUE, loaded.epochsDone());
            assertEquals(Long.MAX_VALUE, loaded.stepCount());
            assertEquals(Long.MAX_VALUE, loaded.state().generatorOffset());
            assertEquals(-5, loaded.seed());
        }
    }

    /**
     * The optimizer's options come back from the file, so a resumed run updates as it did; a file written before an
     * option existed loads with what was then the only behaviour (Adam: PyTorch's epsilon placement; SGD: L2 decay);
     * a mistyped or unknown option is refused naming it.
     */
    @Test
    void theOptimizerOptionsComeBackAndAFileWithoutThemLoadsAsItWasWritten() throws Exception {
        Map<String, Optimizer> optimizers = new LinkedHashMap<>();
        optimizers.put("adam, keras epsilon", new Adam());
        optimizers.put("adam, pytorch epsilon", new Adam().epsilonPlacement(AdamEpsilon.PYTORCH));
        optimizers.put("adamw", Adam.adamW(0.002f));
        optimizers.put("sgd, decoupled decay", new Sgd(0.05f, 0.9f, true, 0.01f, true));
        optimizers.put("sgd, L2 decay", new Sgd(0.05f, 0.9f, true, 0.01f));
        Path file = dir.resolve("mlp.safetensors");
        for (Map.Entry<String, Optimizer> o : optimizers.entrySet()) {
            saveMlp(o.getValue(), file);
            try (Model loaded = Checkpoints.load(file, new CpuBackend(), 2)) {
                assertEquals(o.getValue().config(), loaded.optimizer().config(), o.getKey());
                assertEquals(o.getValue().name(), loaded.optimizer().name(), o.getKey());
            }
        }

        saveMlp(new Adam(), file);
        rewriteOptimizer(file, c -> c.remove("epsilon_placement"));
        try (Model loaded = Checkpoints.load(file, new CpuBackend(), 2)) {
            assertEquals(AdamEpsilon.PYTORCH, ((Adam) loaded.optimizer()).epsilonPlacement());
        }
        saveMlp(new Sgd(0.05f, 0.9f, false, 0.01f, true), file);
        rewriteOptimizer(file, c -> c.remove("decoupled_weight_decay"));
        try (Model loaded = Checkpoints.load(file, new CpuBackend(), 2)) {
            assertEquals(false, loaded.optimizer().config().get("decoupled_weight_decay"));
        }

        saveMlp(new Adam(), file);
        rewriteOptimizer(file, c -> c.put("epsilon_placement", "tensorflow"));
        FileFormatException e = assertThrows(FileFormatException.class,
                () -> Checkpoints.load(file, new CpuBackend(), 2));
        assertTrue(e.getMessage().contains("unknown epsilon placement 'tensorflow': expected keras or pytorch"),
                e.getMessage());
        saveMlp(new Sgd(), file);
        rewriteOptimizer(file, c -> c.put("decoupled_weight_decay", 1L));
        e = assertThrows(FileFormatException.class, () -> Checkpoints.load(file, new CpuBackend(), 2));
        assertTrue(e.getMessage().contains("true or false for 'decoupled_weight_decay'"), e.getMessage());
    }

    /** A refused load built the model before it found the optimizer state missing: the model's memory is freed. */
    @Test
    void aLoadRefusedAfterBuildingTheModelFreesItsMemory() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        saveMlp(new Adam(), file);
        rewrite(file, Map.of(), false);
        StorageRecorder backend = new StorageRecorder();
        assertThrows(FileFormatException.class, () -> Checkpoints.load(file, backend, 2));
        assertFalse(backend.storages.isEmpty(), "the refusal should come after the build");
        for (Storage s : backend.storages) {
            assertTrue(s.isClosed(), s.label() + " left allocated");
        }
    }

    @ParameterizedTest
    @CsvSource({"0, true", "-1, true", "0, false", "-1, false"})
    void aBatchSizeBelowOneIsRefusedAsAnArgumentBeforeTheFileIsRead(int batchSize, boolean forTraining) {
        Path neverWritten = dir.resolve("absent.safetensors");
        IllegalArgumentException e = assertRefused(() -> {
            if (forTraining) {
                Checkpoints.load(neverWritten, new CpuBackend(), batchSize);
            } else {
                Checkpoints.loadForInference(neverWritten, new CpuBackend(), batchSize);
            }
        }, "load: batch size must be positive, got " + batchSize);
        assertFalse(e instanceof FileFormatException, "the argument is wrong, not the file");
    }

    /** The metadata of a checkpoint of another format, or without one of its three JSON fields, is refused. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', nullValues = "null", value = {
        "format       | null                   | is not a KernelNet checkpoint's (format is null, expected kernelnet-checkpoint/2)",
        "format       | kernelnet-checkpoint/3 | is not a KernelNet checkpoint's (format is kernelnet-checkpoint/3, expected",
        "architecture | null                   | has no 'architecture'",
        "compile      | null                   | has no 'compile'",
        "training     | null                   | has no 'training'"})
    void metadataOfAnotherFormatOrWithoutAFieldIsRefused(String key, String value, String refusal) throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        saveMlp(new Adam(), file);
        Map<String, String> metadata = new LinkedHashMap<>(SafeTensors.read(file).metadata());
        Checkpoints.restore(file.toString(), metadata, true).model().close(); // as saved, it is restored
        if (value == null) {
            metadata.remove(key);
        } else {
            metadata.put(key, value);
        }
        for (boolean forTraining : new boolean[] {true, false}) {
            FileFormatException e = assertThrows(FileFormatException.class,
                    () -> Checkpoints.restore(file.toString(), metadata, forTraining));
            assertTrue(e.getMessage().startsWith(file + ": checkpoint metadata " + refusal), e.getMessage());
        }
    }

    /** The training counters' JSON from "epochs, steps, generator_offset, seed". */
    private static String training(String values) {
        String[] v = values.split(", ");
        return "{\"epochs\": " + v[0] + ", \"steps\": " + v[1] + ", \"generator_offset\": " + v[2] + ", \"seed\": "
                + v[3] + "}";
    }

    private static void assertSameValues(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertEquals(expected.keySet(), actual.keySet(), what);
        expected.forEach((name, values) -> assertArrayEquals(values, actual.get(name), what + ": " + name));
    }

    private static void saveMlp(Optimizer optimizer, Path file) throws Exception {
        try (Model mlp = MnistModels.mlp()) {
            mlp.compile(optimizer, Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            mlp.build(2, new CpuBackend());
            Checkpoints.save(mlp, file);
        }
    }

    /** Rewrites the optimizer configuration in the file's compile metadata. */
    @SuppressWarnings("unchecked")
    private static void rewriteOptimizer(Path file, Consumer<Map<String, Object>> change) throws Exception {
        Map<String, Object> compile = new LinkedHashMap<>(
                (Map<String, Object>) Json.parse(SafeTensors.read(file).metadata().get("compile")));
        Map<String, Object> optimizer = new LinkedHashMap<>((Map<String, Object>) compile.get("optimizer"));
        change.accept(optimizer);
        compile.put("optimizer", optimizer);
        rewrite(file, Map.of("compile", Json.write(compile)), true);
    }

    /**
     * A file whose first tensors fit and whose last one does not (or that holds one tensor too many) is refused
     * before any weight changes: the model keeps exactly the values it had.
     */
    @Test
    void aRefusedLoadLeavesTheModelAsItWas() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (Model saved = MnistModels.mlp(); Model target = MnistModels.mlp()) {
            saved.seed(1).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            saved.build(2, new CpuBackend());
            target.seed(2).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            target.build(2, new CpuBackend());
            Map<String, float[]> before = target.parameters();
            String last = "dense_1/bias";
            assertEquals(last, List.copyOf(before.keySet()).get(before.size() - 1));

            Checkpoints.save(saved, file);
            rewriteTensors(file, t -> t.put(last, new SafeTensors.TensorData(Shape.of(11), new float[11])));
            FileFormatException e = assertThrows(FileFormatException.class, () -> Checkpoints.loadWeights(target, file));
            assertTrue(e.getMessage().contains(last) && e.getMessage().contains(file.toString()), e.getMessage());
            assertSameValues(before, target.parameters(), "after a refused last tensor");

            Checkpoints.save(saved, file);
            rewriteTensors(file, t -> t.put("extra", new SafeTensors.TensorData(Shape.of(1), new float[1])));
            e = assertThrows(FileFormatException.class, () -> Checkpoints.loadWeights(target, file));
            assertTrue(e.getMessage().contains("unexpected tensor 'extra'"), e.getMessage());
            assertSameValues(before, target.parameters(), "after a refused extra tensor");
        }
    }

    private static void rewriteTensors(Path file, Consumer<Map<String, SafeTensors.TensorData>> change)
            throws Exception {
        SafeTensors.Contents contents = SafeTensors.read(file);
        LinkedHashMap<String, SafeTensors.TensorData> tensors = new LinkedHashMap<>(contents.tensors());
        change.accept(tensors);
        SafeTensors.write(file, tensors, contents.metadata());
    }

    @Test
    void loadWeightsTakesTheWeightsOfAFullCheckpoint() throws Exception {
        Path file = dir.resolve("mlp.safetensors");
        try (Model trained = MnistModels.mlp(); Model fresh = MnistModels.mlp()) {
            trained.seed(1).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            trained.fit(digits(8), FitOptions.defaults().epochs(1).batchSize(4).verbose(0));
            Checkpoints.save(trained, file);
            fresh.seed(2).compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            fresh.build(4, new CpuBackend());
            Checkpoints.loadWeights(fresh, file);
            assertArrayEquals(trained.parameters().get("dense_1/kernel"), fresh.parameters().get("dense_1/kernel"));
        }
    }
}
