package io.kernelnet.io;

import io.kernelnet.backend.Backend;
import io.kernelnet.nn.Architecture;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.ModelState;
import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's checkpoint in safetensors, everything needed to continue training exactly: every parameter by name
 * ("dense/kernel"), the optimizer's state per parameter ("optimizer/m/dense/kernel", see
 * {@link ModelState#optimizerStateShapes()}), and in {@code __metadata__} the architecture, the compile settings
 * (optimizer configuration with its current learning rate) and the training counters (epochs done, optimizer
 * steps, which also drive Adam's bias correction, the dropout generator's offset and the seed), each as a JSON
 * string. The shuffle order needs no state of its own: it is a function of (shuffle seed, seed, epoch).
 *
 * <p>Written atomically by {@link SafeTensors#write}. Loading validates the whole file, the metadata and every
 * tensor's name and shape before it sets anything, so a corrupt or mismatched file is refused with a
 * {@link FileFormatException}, never half-read.
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
        ModelState state = model.state();
        LinkedHashMap<String, SafeTensors.TensorData> tensors = new LinkedHashMap<>();
        Map<String, Shape> shapes = state.parameterShapes();
        state.parameters().forEach((name, values) -> tensors.put(name, new SafeTensors.TensorData(shapes.get(name), values)));
        Map<String, Shape> stateShapes = state.optimizerStateShapes();
        state.optimizerState().forEach((name, values) ->
                tensors.put(name, new SafeTensors.TensorData(stateShapes.get(name), values)));
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("epochs", state.epochsDone());
        training.put("steps", state.steps());
        training.put("generator_offset", state.generatorOffset());
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
        if (batchSize <= 0) {
            throw new IllegalArgumentException("load: batch size must be positive, got " + batchSize);
        }
        SafeTensors.Contents contents = SafeTensors.read(file);
        Restored restored = restore(file.toString(), contents.metadata(), forTraining);
        Model model = restored.model();
        try {
            // before any allocation: an architecture that asks for more than the file holds is refused here
            LinkedHashMap<String, Shape> planned = model.plannedParameterShapes();
            try {
                weightsOnly(contents).requireShapes(planned);
            } catch (IllegalArgumentException e) {
                throw new FileFormatException(file.toString(), FileFormatException.NO_OFFSET,
                        file + ": the checkpoint's tensors do not match its architecture: " + e.getMessage(), e);
            }
            model.build(batchSize, backend);
        } catch (FileFormatException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(file.toString(), FileFormatException.NO_OFFSET,
                    file + ": the checkpoint's architecture does not build: " + e.getMessage(), e);
        }
        try {
            if (forTraining) {
                ModelState state = model.state();
                LinkedHashMap<String, Shape> expected = state.parameterShapes();
                expected.putAll(state.optimizerStateShapes());
                contents.requireShapes(expected);
                contents.tensors().forEach((name, t) -> {
                    if (name.startsWith(ModelState.OPTIMIZER_STATE_PREFIX)) {
                        state.setOptimizerState(name, t.data());
                    } else {
                        state.setParameter(name, t.data());
                    }
                });
                state.restoreCounters(restored.epochs(), restored.steps(), restored.generatorOffset());
            } else {
                applyWeights(model, contents);
            }
        } catch (RuntimeException e) {
            model.close();
            if (e instanceof IllegalArgumentException) {
                throw new FileFormatException(file.toString(), FileFormatException.NO_OFFSET,
                        file + ": the checkpoint's tensors do not match its architecture: " + e.getMessage(), e);
            }
            throw e;
        }
        return model;
    }

    /** What a checkpoint's metadata describes: the model (compiled, not built) and its training counters. */
    record Restored(Model model, int epochs, long steps, long generatorOffset) {
    }

    /**
     * Reads the metadata of checkpoint {@code source}: every field is checked for its type, so that whatever the
     * strings hold, the only exception is a {@link FileFormatException} naming the field. Format 1 only when not
     * {@code forTraining}.
     */
    static Restored restore(String source, Map<String, String> meta, boolean forTraining) {
        MetadataReader r = new MetadataReader(source);
        String format = meta.get("format");
        if (FORMAT_WITHOUT_OPTIMIZER_STATE.equals(format) && forTraining) {
            throw r.error("holds no optimizer state (format " + format + ", written by an older KernelNet): it can"
                    + " be evaluated but not resumed", null);
        }
        if (!FORMAT.equals(format) && !FORMAT_WITHOUT_OPTIMIZER_STATE.equals(format)) {
            throw r.error("is not a KernelNet checkpoint's (format is " + format + ", expected " + FORMAT + ")", null);
        }
        Map<String, Object> architecture = r.object("architecture", r.parse(meta, "architecture"));
        Map<String, Object> compile = r.object("compile", r.parse(meta, "compile"));
        Map<String, Object> training = r.object("training", r.parse(meta, "training"));
        List<String> metrics = new ArrayList<>();
        for (Object m : r.list("compile.metrics", compile.get("metrics"))) {
            metrics.add(r.string("compile.metrics[]", m));
        }
        Map<String, Object> optimizer = r.object("compile.optimizer", compile.get("optimizer"));
        String loss = r.string("compile.loss", compile.get("loss"));
        long seed = r.integer("training.seed", training.get("seed"), Long.MIN_VALUE, Long.MAX_VALUE);
        int epochs = (int) r.integer("training.epochs", training.get("epochs"), 0, Integer.MAX_VALUE);
        long steps = r.integer("training.steps", training.get("steps"), 0, Long.MAX_VALUE);
        long generatorOffset = r.integer("training.generator_offset", training.get("generator_offset"), 0,
                Long.MAX_VALUE);
        Model model;
        try {
            model = Architecture.rebuild(architecture);
            model.compile(Optimizer.fromConfig(optimizer), Loss.named(loss), metrics.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            throw r.error("does not describe a model: " + e.getMessage(), e);
        }
        model.seed(seed);
        return new Restored(model, epochs, steps, generatorOffset);
    }

    /** Typed access to the metadata's JSON values; each refusal names the checkpoint and the field. */
    private record MetadataReader(String source) {
        FileFormatException error(String what, Throwable cause) {
            return new FileFormatException(source, FileFormatException.NO_OFFSET,
                    source + ": checkpoint metadata " + what, cause);
        }

        Object parse(Map<String, String> meta, String key) {
            String text = meta.get(key);
            if (text == null) {
                throw error("has no '" + key + "'", null);
            }
            try {
                return Json.parse(text);
            } catch (Json.ParseException e) {
                throw error("'" + key + "' is not valid JSON: " + e.getMessage(), e);
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> object(String field, Object value) {
            if (!(value instanceof Map<?, ?> map)) {
                throw error("'" + field + "' must be a JSON object, is " + Json.write(value), null);
            }
            return (Map<String, Object>) map;
        }

        List<?> list(String field, Object value) {
            if (!(value instanceof List<?> list)) {
                throw error("'" + field + "' must be a JSON array, is " + Json.write(value), null);
            }
            return list;
        }

        String string(String field, Object value) {
            if (!(value instanceof String s)) {
                throw error("'" + field + "' must be a string, is " + Json.write(value), null);
            }
            return s;
        }

        long integer(String field, Object value, long min, long max) {
            if (!(value instanceof Long v) || v < min || v > max) {
                throw error("'" + field + "' must be an integer from " + min + " to " + max + ", is "
                        + Json.write(value), null);
            }
            return v;
        }
    }

    /**
     * Loads weights into a built model of the same architecture, ignoring any optimizer state in the file;
     * refuses a file naming it and the first mismatch, with a {@link FileFormatException}, before it changes any
     * weight.
     */
    public static void loadWeights(Model model, Path file) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        try {
            applyWeights(model, contents);
        } catch (FileFormatException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(file.toString(), FileFormatException.NO_OFFSET,
                    file + ": the checkpoint's tensors do not match the model: " + e.getMessage(), e);
        }
    }

    private static void applyWeights(Model model, SafeTensors.Contents contents) {
        SafeTensors.Contents weights = weightsOnly(contents);
        weights.requireShapes(model.parameterShapes());
        weights.tensors().forEach((name, t) -> model.setParameter(name, t.data()));
    }

    /** The file's tensors without the optimizer state. */
    private static SafeTensors.Contents weightsOnly(SafeTensors.Contents contents) {
        Map<String, SafeTensors.TensorData> weights = new LinkedHashMap<>(contents.tensors());
        weights.keySet().removeIf(name -> name.startsWith(ModelState.OPTIMIZER_STATE_PREFIX));
        return new SafeTensors.Contents(contents.file(), weights, contents.metadata());
    }
}
