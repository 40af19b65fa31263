package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.data.MnistLoader;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.io.Checkpoints;
import io.kernelnet.io.Json;
import io.kernelnet.io.ModelCheckpoint;
import io.kernelnet.nn.Architecture;
import io.kernelnet.nn.Model;
import io.kernelnet.train.Adam;
import io.kernelnet.train.EpochLog;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import io.kernelnet.train.Optimizer;
import io.kernelnet.train.Sgd;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kernelnet train}: one of the bundled MNIST models, trained and tested; checkpoints and metrics on request. */
@Command(name = "train", sortOptions = false, showDefaultValues = true,
        description = "Train the mlp or cnn on MNIST, then test it.",
        footer = "--save writes a checkpoint after every epoch; --resume continues one to --epochs epochs in all (model,"
                + " optimizer, learning rate and seed come from the file; options may only repeat them).%n")
final class TrainCommand extends OutputCommand {
    @Option(names = "--model", paramLabel = "mlp|cnn", description = "Default: cnn.")
    String model;

    @Mixin
    DataOption data;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "5",
            description = "Epochs in all (with --resume, the checkpoint's included).")
    int epochs;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "128", description = "Examples per step.")
    int batch;

    @Option(names = "--lr", paramLabel = "X", converter = OptionTypes.PositiveNumber.class,
            description = "Learning rate. Default: 0.001 for adam, 0.01 for sgd.")
    Double lr;

    @Option(names = "--optimizer", paramLabel = "adam|sgd", description = "Adam as Keras defines it, or SGD with"
            + " momentum 0.9. Default: adam.")
    String optimizer;

    @Mixin
    DeviceOptions device;

    @Mixin
    DeviceOptions.StepGraphs graphs;

    @Option(names = "--seed", paramLabel = "N", description = "Weights, dropout and shuffle order. Default: 42.")
    Integer seed;

    @Option(names = "--save", paramLabel = "FILE", converter = OptionTypes.OutputFile.class,
            description = "A safetensors checkpoint, written after every epoch.")
    Path save;

    @Option(names = "--resume", paramLabel = "FILE", converter = OptionTypes.InputFile.class,
            description = "Continue this checkpoint's run to --epochs epochs in all.")
    Path resume;

    @Option(names = "--metrics-out", paramLabel = "FILE.json", converter = OptionTypes.OutputFile.class,
            description = "The final train/test loss and accuracy, epochs, examples/s and the device.")
    Path metricsOut;

    @Option(names = "--log", paramLabel = "FILE.csv|FILE.json", converter = OptionTypes.OutputFile.class,
            description = "One line of metrics per epoch.")
    Path epochLog;

    @Option(names = "--summary", description = "Print the model's layers, shapes and parameters.")
    boolean summary;

    TrainCommand(PrintStream out) {
        super(out);
    }

    @Override
    public Integer call() throws IOException {
        String modelName = model == null ? "cnn" : model;
        if (!MnistModels.NAMES.contains(modelName)) {
            throw UsageException.of(spec, "--model must be " + String.join(" or ", MnistModels.NAMES) + ", got '"
                    + modelName + "'");
        }
        OptionTypes.atLeast(spec, "--epochs", epochs, 0);
        OptionTypes.atLeast(spec, "--batch", batch, 1);
        long seedValue = OptionTypes.atLeast(spec, "--seed", seed == null ? 42 : seed, 0);
        String optimizerName = optimizer == null ? "adam" : optimizer;
        if (!optimizerName.equals("adam") && !optimizerName.equals("sgd")) {
            throw UsageException.of(spec, "--optimizer must be adam or sgd, got '" + optimizerName + "'");
        }
        double learningRate = lr != null ? lr : optimizerName.equals("adam") ? 0.001 : 0.01;
        DeviceOptions.Choice choice = device.choose(spec, "auto", graphs.on());
        MnistLoader.Sets sets = data.load(spec);
        Backends.Selection selection = choice.open();
        out.println("device: " + selection.description());
        out.println("data: " + sets.train().count() + " training and " + sets.test().count() + " test examples");
        try (Backend backend = selection.backend();
             Model m = resume == null ? newModel(modelName, optimizerName, learningRate, seedValue, backend)
                     : Checkpoints.load(resume, backend, batch)) {
            if (resume != null) {
                modelName = architectureName(m);
                requireAgreement(m, modelName);
                out.println("resumed " + resume + " after epoch " + m.epochsDone() + " (step " + m.stepCount() + ")");
            }
            m.progressOutput(out);
            if (summary) {
                out.print(m.summary());
            }
            // The shuffle order is a function of (seed, epoch): a resumed run sees the epochs the full run would.
            FitOptions fit = FitOptions.defaults().epochs(Math.max(0, epochs - m.epochsDone())).batchSize(batch)
                    .validationData(sets.test()).shuffleSeed(m.seed());
            if (epochLog != null) {
                fit.callbacks(new EpochLog(epochLog));
            }
            if (save != null) {
                // After every epoch, so that a run killed in epoch k can resume from epoch k - 1.
                fit.callbacks(new ModelCheckpoint(m, save, "loss", false));
            }
            History history = m.fit(sets.train(), fit);
            Model.Evaluation test = m.evaluate(sets.test(), batch);
            out.printf("test: loss %.4f, accuracy %.4f (%d examples)%n", test.loss(), test.accuracy(), test.count());
            if (save != null) {
                if (history.epochs() == 0) {
                    Checkpoints.save(m, save);
                }
                out.println("saved " + save + " (after epoch " + m.epochsDone() + ")");
            }
            if (metricsOut != null) {
                writeMetrics(metricsOut, modelName, selection, history, test);
                out.println("metrics: " + metricsOut);
            }
        }
        return 0;
    }

    private Model newModel(String modelName, String optimizerName, double learningRate, long seedValue, Backend backend) {
        Optimizer o = optimizerName.equals("adam") ? new Adam((float) learningRate)
                : new Sgd((float) learningRate, 0.9f, false, 0f);
        Model m = MnistModels.named(modelName);
        m.seed(seedValue).compile(o, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        m.build(batch, backend);
        return m;
    }

    /** With --resume the model, optimizer, learning rate and seed come from the checkpoint; options may only repeat them. */
    private void requireAgreement(Model m, String modelName) {
        String[][] checks = {
                {"model", model, modelName},
                {"optimizer", optimizer, m.optimizer().name()},
                {"lr", lr == null ? null : Float.toString(lr.floatValue()), Float.toString(m.optimizer().learningRate())},
                {"seed", seed == null ? null : seed.toString(), Long.toString(m.seed())}};
        for (String[] c : checks) {
            if (c[1] != null && !c[1].equals(c[2])) {
                throw UsageException.of(spec, "--" + c[0] + " " + c[1] + " disagrees with the checkpoint " + resume
                        + ", which has " + c[2] + "; leave --" + c[0] + " out when resuming");
            }
        }
    }

    /** Which of the bundled MNIST models {@code m} is, by its architecture, or "custom". */
    private static String architectureName(Model m) {
        Map<String, Object> architecture = Architecture.describe(m);
        for (String name : MnistModels.NAMES) {
            try (Backend cpu = new CpuBackend(); Model candidate = MnistModels.named(name)) {
                candidate.compile(new Sgd(), m.loss()); // names its layers as the saved model's were named
                candidate.build(1, cpu);
                if (Architecture.describe(candidate).equals(architecture)) {
                    return name;
                }
            }
        }
        return "custom";
    }

    private void writeMetrics(Path file, String modelName, Backends.Selection selection, History history,
                              Model.Evaluation test) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", modelName);
        m.put("device", selection.description());
        m.put("epochs", history.epochs());
        m.put("batch_size", batch);
        m.put("train_loss", history.last("loss"));
        m.put("train_accuracy", history.last("accuracy"));
        m.put("test_loss", test.loss());
        m.put("test_accuracy", test.accuracy());
        m.put("examples_per_second", history.get("examples_per_second").stream().mapToDouble(Double::doubleValue)
                .average().orElse(Double.NaN));
        m.put("epoch_seconds", history.get("epoch_seconds"));
        m.put("history", history.all());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, Json.write(m) + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
