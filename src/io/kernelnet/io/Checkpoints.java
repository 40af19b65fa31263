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
        compile.put("metrics", model.reportsAccuracy() ? java.util.List.of("accuracy") : java.util.List.of());
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", FORMAT);
        metadata.put("architecture", Json.write(Architecture.describe(model)));
        metadata.put("compile", Json.write(compile));
        metadata.put("training", Json.write(training));
        SafeTensors.write(file, tensors, metadata);
    }

    /** Rebuilds, compiles and builds the saved model on {@code backend}, then loads its weights and counters. */
    @SuppressWarnings("unchecked")
    public static Model load(Path file, Backend backend, int batchSize) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, String> meta = contents.metadata();
        if (!FORMAT.equals(meta.get("format"))) {
            throw new IllegalArgumentException(file + ": not a KernelNet checkpoint (metadata format is "
                    + meta.get("format") + ", expected " + FORMAT + ")");
        }
        Model model;
        Map<String, Object> training;
        try {
            model = Architecture.rebuild((Map<String, Object>) Json.parse(meta.get("architecture")));
            Map<String, Object> compile = (Map<String, Object>) Json.parse(meta.get("compile"));
            java.util.List<Object> metrics = (java.util.List<Object>) compile.get("metrics");
            model.compile(Optimizer.fromConfig((Map<String, Object>) compile.get("optimizer")),
                    Loss.named((String) compile.get("loss")), metrics.stream().map(String::valueOf).toArray(String[]::new));
            training = (Map<String, Object>) Json.parse(meta.get("training"));
            model.seed(((Number) training.get("seed")).longValue());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(file + ": checkpoint metadata is malformed: " + e.getMessage(), e);
        }
        model.build(batchSize, backend);
        try {
            apply(model, contents);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        model.restoreTrainingState(((Number) training.get("epochs")).intValue(),
                ((Number) training.get("steps")).longValue(), ((Number) training.get("generator_offset")).longValue());
        return model;
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
