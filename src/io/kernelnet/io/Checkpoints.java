package io.kernelnet.io;

import io.kernelnet.backend.Backend;
import io.kernelnet.nn.Architecture;
import io.kernelnet.nn.Model;
import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's checkpoint in safetensors, everything needed to continue training exactly: every parameter by name
 * ("dense/kernel"), the optimizer's state per parameter ("optimizer/m/dense/kernel", see
 * {@link Model#optimizerStateShapes()}), and in {@code __metadata__} the architecture, the compile settings
 * (optimizer configuration with its current learning rate) and the training counters (epochs done, optimizer
 * steps, which also drive Adam's bias correction, the dropout generator's offset and the seed), each as a JSON
 * string. The shuffle order needs no state of its own: it is a function of (shuffle seed, seed, epoch).
 *
 * <p>Written atomically by {@link SafeTensors#write}. Loading validates the whole file, the metadata and every
 * tensor's name and shape before it sets anything, so a corrupt or mismatched file is refused, never half-read.
 * Files of format 1 (before optimizer state was saved) can still be loaded for evaluation and prediction with
 * {@link #loadForInference}, not resumed.
 */
public final class Checkpoints {
    public static final String FORMAT = "kernelnet-checkpoint/2";
    /** Weights and counters but no optimizer state. */
    static final String FORMAT_WITHOUT_OPTIMIZER_STATE = "kernelnet-checkpoint/1";

    private Checkpoints() {
    }

    public static void save(Model model, Path file) throws IOException {
        LinkedHashMap<String, SafeTensors.TensorData> tensors = new LinkedHashMap<>();
        Map<String, Shape> shapes = model.parameterShapes();
        model.parameters().forEach((name, values) -> tensors.put(name, new SafeTensors.TensorData(shapes.get(name), values)));
        Map<String, Shape> stateShapes = model.optimizerStateShapes();
        model.optimizerState().forEach((name, values) ->
                tensors.put(name, new SafeTensors.TensorData(stateShapes.get(name), values)));
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("epochs", model.epochsDone());
        training.put("steps", model.stepCount());
        training.put("generator_offset", model.generatorOffset());
        training.put("seed", model.seed());
        Map<String, Object> compile = new LinkedHashMap<>();
        compile.put("optimizer", model.optimizer().config());
        compile.put("loss", model.loss().kerasName());
        compile.put("metrics", model.reportsAccuracy() ? List.of("accuracy") : List.of());
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put("architecture", Json.write(Architecture.describe(model)));
        metadata.put("compile", Json.write(compile));
        metadata.put("training", Json.write(training));
        SafeTensors.write(file, tensors, metadata);
    }

    /**
     * Rebuilds, compiles and builds the saved model on {@code backend}, then restores its weights, optimizer
     * state and counters, so that fit() continues where the saved run stopped. Refuses a format-1 file.
     */
    public static Model load(Path file, Backend backend, int batchSize) throws IOException {
        return load(file, backend, batchSize, true);
    }

    /** Like {@link #load} but restores the weights only, and accepts format-1 files too. */
    public static Model loadForInference(Path file, Backend backend, int batchSize) throws IOException {
        return load(file, backend, batchSize, false);
    }

    private static Model load(Path file, Backend backend, int batchSize, boolean forTraining) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, String> meta = contents.metadata();
        String format = meta.get("format");
        if (!FORMAT.equals(format) && !(FORMAT_WITHOUT_OPTIMIZER_STATE.equals(format) && !forTraining)) {
            String why = FORMAT_WITHOUT_OPTIMIZER_STATE.equals(format)
                    ? " holds no optimizer state (written by an older KernelNet); it can be evaluated but not resumed"
                    : ": not a KernelNet checkpoint (metadata format is " + format + ", expected " + FORMAT + ")";
            throw new IllegalArgumentException(file + why);
        }
        Model model;
        TrainingCounters counters;
        try {
            model = Architecture.rebuild(jsonObject(meta, "architecture"));
            Map<String, Object> compile = jsonObject(meta, "compile");
            List<?> metrics = (List<?>) compile.get("metrics");
            model.compile(Optimizer.fromConfig(asObject(compile.get("optimizer"))),
                    Loss.named((String) compile.get("loss")), metrics.stream().map(String::valueOf).toArray(String[]::new));
            counters = TrainingCounters.of(jsonObject(meta, "training"));
            model.seed(counters.seed());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": checkpoint metadata is malformed: " + e.getMessage(), e);
        }
        model.build(batchSize, backend);
        try {
            if (forTraining) {
                LinkedHashMap<String, Shape> expected = model.parameterShapes();
                expected.putAll(model.optimizerStateShapes());
                contents.requireShapes(expected);
                contents.tensors().forEach((name, t) -> {
                    if (name.startsWith(Model.OPTIMIZER_STATE_PREFIX)) {
                        model.setOptimizerState(name, t.data());
                    } else {
                        model.setParameter(name, t.data());
                    }
                });
                model.restoreTrainingState(counters.epochs(), counters.steps(), counters.generatorOffset());
            } else {
                applyWeights(model, contents);
            }
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /**
     * Loads weights into a built model of the same architecture, ignoring any optimizer state in the file;
     * refuses a file naming the first mismatch, before it changes any weight.
     */
    public static void loadWeights(Model model, Path file) throws IOException {
        applyWeights(model, SafeTensors.read(file));
    }

    private static void applyWeights(Model model, SafeTensors.Contents contents) {
        Map<String, SafeTensors.TensorData> weights = new LinkedHashMap<>(contents.tensors());
        weights.keySet().removeIf(name -> name.startsWith(Model.OPTIMIZER_STATE_PREFIX));
        SafeTensors.Contents weightsOnly = new SafeTensors.Contents(contents.file(), weights, contents.metadata());
        weightsOnly.requireShapes(model.parameterShapes());
        weights.forEach((name, t) -> model.setParameter(name, t.data()));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asObject(Object json) {
        if (!(json instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a JSON object, found " + Json.write(json));
        }
        return (Map<String, Object>) map;
    }

    private static Map<String, Object> jsonObject(Map<String, String> meta, String key) {
        String text = meta.get(key);
        if (text == null) {
            throw new IllegalArgumentException("no '" + key + "' entry");
        }
        return asObject(Json.parse(text));
    }

    /** The training counters of the metadata, each checked to be a non-negative whole number. */
    private record TrainingCounters(int epochs, long steps, long generatorOffset, long seed) {
        static TrainingCounters of(Map<String, Object> training) {
            return new TrainingCounters(Math.toIntExact(count(training, "epochs")), count(training, "steps"),
                    count(training, "generator_offset"), whole(training, "seed"));
        }

        private static long count(Map<String, Object> training, String key) {
            long value = whole(training, key);
            if (value < 0) {
                throw new IllegalArgumentException("training." + key + " is negative: " + value);
            }
            return value;
        }

        private static long whole(Map<String, Object> training, String key) {
            if (!(training.get(key) instanceof Long value)) {
                throw new IllegalArgumentException("training." + key + " must be a whole number, is "
                        + Json.write(training.get(key)));
            }
            return value;
        }
    }
}
