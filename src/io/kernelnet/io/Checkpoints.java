package io.kernelnet.io;

import io.kernelnet.backend.Backend;
import io.kernelnet.nn.Architecture;
import io.kernelnet.nn.Model;
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
 * A model's checkpoint in safetensors: every parameter by name ("dense/kernel"), and in {@code __metadata__}
 * the architecture, the compile settings and the training counters, each as a JSON string. Written to a
 * temporary file and renamed; read only after the whole file has been validated.
 */
public final class Checkpoints {
    public static final String FORMAT = "kernelnet-checkpoint/1";

    private Checkpoints() {
    }

    public static void save(Model model, Path file) throws IOException {
        LinkedHashMap<String, SafeTensors.TensorData> tensors = new LinkedHashMap<>();
        Map<String, Shape> shapes = model.parameterShapes();
        model.parameters().forEach((name, values) -> tensors.put(name, new SafeTensors.TensorData(shapes.get(name), values)));
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
     * Rebuilds, compiles and builds the saved model on {@code backend}, then loads its weights and counters. A
     * file whose tensors or metadata are not a KernelNet checkpoint is refused with a {@link FileFormatException}.
     */
    public static Model load(Path file, Backend backend, int batchSize) throws IOException {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("load: batch size must be positive, got " + batchSize);
        }
        SafeTensors.Contents contents = SafeTensors.read(file);
        Restored restored = restore(file.toString(), contents.metadata());
        Model model = restored.model();
        try {
            model.build(batchSize, backend);
        } catch (IllegalArgumentException e) {
            throw new FileFormatException(file.toString(), FileFormatException.NO_OFFSET,
                    file + ": the checkpoint's architecture does not build: " + e.getMessage(), e);
        }
        try {
            apply(model, contents);
        } catch (RuntimeException e) {
            model.close();
            if (e instanceof IllegalArgumentException) {
                throw new FileFormatException(file.toString(), FileFormatException.NO_OFFSET,
                        file + ": the checkpoint's tensors do not match its architecture: " + e.getMessage(), e);
            }
            throw e;
        }
        model.restoreTrainingState(restored.epochs(), restored.steps(), restored.generatorOffset());
        return model;
    }

    /** What a checkpoint's metadata describes: the model (compiled, not built) and its training counters. */
    record Restored(Model model, int epochs, long steps, long generatorOffset) {
    }

    /**
     * Reads the metadata of checkpoint {@code source}: every field is checked for its type, so that whatever the
     * strings hold, the only exception is a {@link FileFormatException} naming the field.
     */
    static Restored restore(String source, Map<String, String> meta) {
        MetadataReader r = new MetadataReader(source);
        if (!FORMAT.equals(meta.get("format"))) {
            throw r.error("not a KernelNet checkpoint (metadata format is " + meta.get("format") + ", expected "
                    + FORMAT + ")", null);
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

    /** Loads weights into a built model of the same architecture; refuses a file naming the first mismatch. */
    public static void loadWeights(Model model, Path file) throws IOException {
        apply(model, SafeTensors.read(file));
    }

    private static void apply(Model model, SafeTensors.Contents contents) {
        contents.requireShapes(model.parameterShapes());
        contents.tensors().forEach((name, t) -> model.setParameter(name, t.data()));
    }
}
