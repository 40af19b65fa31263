package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.Engine;
import io.kernelnet.backend.cuda.SelfTest;
import io.kernelnet.data.Dataset;
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
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code kernelnet} command: train, evaluate, predict, info, selftest, bench. */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    static final String USAGE = String.join("\n",
            "usage: kernelnet <command> [options]",
            "  train     [--model mlp|cnn] [--data DIR] [--epochs N] [--batch N] [--lr X] [--optimizer adam|sgd]",
            "            [--device auto|cpu|cpu-reference|cuda] [--engine auto|kernels|vendor] [--tf32] [--seed N] [--save FILE]",
            "            [--metrics-out FILE.json] [--log FILE.csv|FILE.json] [--summary] [--deterministic]",
            "            [--resume FILE] [--no-graphs]: --save writes a checkpoint after every epoch; --resume continues one to",
            "            --epochs epochs in all (model, optimizer, learning rate and seed come from FILE)",
            "  evaluate  --weights FILE [--data DIR] [--device auto|cpu|cpu-reference|cuda] [--batch N]",
            "  predict   --weights FILE --index I [--data DIR] [--device auto|cpu|cpu-reference|cuda]",
            "  info      Java, devices, CUDA/cuBLAS/cuDNN versions (or why none)",
            "  selftest  [--device cuda] [--engine auto|kernels|vendor] [--tf32] [--deterministic]: every GPU op against",
            "            the CPU reference",
            BenchCommand.USAGE,
            "Data: the bundled MNIST subset (8,000 train / 2,000 test) unless --data DIR names the four standard",
            "MNIST or Fashion-MNIST IDX files.",
            "--deterministic: bit-identical results run to run on CUDA (no float atomics, deterministic cuDNN",
            "algorithms). The CPU backends are always deterministic, so there it changes nothing.",
            "--no-graphs: on CUDA, launch every op of every training step instead of replaying each full batch's step",
            "as a CUDA graph captured once (the bench compares both).",
            "Exit status: 0 done; 1 a failure while running (corrupt file, diverged training, CUDA error);",
            "2 a usage error (unknown command or option, bad value, missing file).");

    private final PrintStream out;

    Main(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] argv) {
        System.exit(new Main(System.out).execute(argv, System.err));
    }

    /**
     * Runs a command and returns its exit status; a failure becomes one line on {@code err}, never a stack trace
     * (that goes to the debug log): 2 for a usage error, 1 for anything that fails while running. The one message
     * of more than a line is a failed allocation at build, which lists the memory plan under its first line.
     */
    int execute(String[] argv, PrintStream err) {
        try {
            return run(argv);
        } catch (Args.UsageException e) {
            err.println("kernelnet: " + e.getMessage() + " (kernelnet --help for usage)");
            return 2;
        } catch (Exception e) {
            log.debug("kernelnet {} failed", String.join(" ", argv), e);
            err.println("kernelnet: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return 1;
        }
    }

    int run(String[] argv) throws IOException {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.println(USAGE);
            return argv.length == 0 ? 2 : 0;
        }
        String command = argv[0];
        return switch (command) {
            case "train" -> train(new Args(command, argv, 1,
                    Set.of("model", "data", "epochs", "batch", "lr", "optimizer", "device", "engine", "seed", "save",
                            "resume", "metrics-out", "log"), Set.of("tf32", "summary", "deterministic", "no-graphs")));
            case "evaluate" -> evaluate(new Args(command, argv, 1, Set.of("weights", "data", "device", "engine", "batch"),
                    Set.of("tf32", "deterministic")));
            case "predict" -> predict(new Args(command, argv, 1, Set.of("weights", "index", "data", "device", "engine"),
                    Set.of("tf32", "deterministic")));
            case "info" -> {
                new Args(command, argv, 1, Set.of(), Set.of());
                out.print(Backends.infoReport());
                yield 0;
            }
            case "selftest" -> selftest(new Args(command, argv, 1, Set.of("device", "engine"),
                    Set.of("tf32", "deterministic")));
            case "bench" -> BenchCommand.run(argv, out);
            default -> throw new Args.UsageException("unknown command '" + command + "'");
        };
    }

    /** The device and CUDA options asked for, checked before any data is read or device opened. */
    private record DeviceChoice(String device, CudaOptions options) {
        static DeviceChoice of(Args a, String fallback) {
            String device = a.get("device", fallback);
            try {
                Backends.checkDeviceName(device);
            } catch (IllegalArgumentException e) {
                throw a.error("--" + e.getMessage());
            }
            return new DeviceChoice(device, cudaOptions(a));
        }

        Backends.Selection open() {
            return Backends.select(device, options);
        }
    }

    private static CudaOptions cudaOptions(Args a) {
        Engine engine;
        try {
            engine = Engine.parse(a.get("engine", "auto"));
        } catch (IllegalArgumentException e) {
            throw a.error("--" + e.getMessage());
        }
        return new CudaOptions(engine, a.flag("tf32"), a.flag("deterministic"), !a.flag("no-graphs"));
    }

    private static MnistLoader.Sets data(Args a) throws IOException {
        Path dir = a.inputDirectory("data");
        if (dir == null) {
            return MnistLoader.loadBundled();
        }
        try {
            MnistLoader.files(dir);
        } catch (IllegalArgumentException e) {
            throw a.error("--data " + e.getMessage());
        }
        return MnistLoader.loadDirectory(dir);
    }

    private int train(Args a) throws IOException {
        String modelName = a.get("model", "cnn");
        if (!MnistModels.NAMES.contains(modelName)) {
            throw a.error("--model must be " + String.join(" or ", MnistModels.NAMES) + ", got '" + modelName + "'");
        }
        int epochs = a.integer("epochs", 5, 0);
        int batch = a.integer("batch", 128, 1);
        long seed = a.integer("seed", 42, 0);
        String optimizerName = a.get("optimizer", "adam");
        if (!optimizerName.equals("adam") && !optimizerName.equals("sgd")) {
            throw a.error("--optimizer must be adam or sgd, got '" + optimizerName + "'");
        }
        double lr = a.positiveNumber("lr", optimizerName.equals("adam") ? 0.001 : 0.01);
        Path resume = a.get("resume", null) == null ? null : a.inputFile("resume");
        Path save = a.outputFile("save");
        Path metricsOut = a.outputFile("metrics-out");
        Path epochLog = a.outputFile("log");
        DeviceChoice device = DeviceChoice.of(a, "auto");
        MnistLoader.Sets sets = data(a);
        Backends.Selection selection = device.open();
        out.println("device: " + selection.description());
        out.println("data: " + sets.train().count() + " training and " + sets.test().count() + " test examples");
        try (Backend backend = selection.backend();
             Model model = resume == null ? newModel(modelName, optimizerName, lr, seed, batch, backend)
                     : Checkpoints.load(resume, backend, batch)) {
            if (resume != null) {
                modelName = architectureName(model);
                requireAgreement(a, model, modelName, resume);
                out.println("resumed " + resume + " after epoch " + model.epochsDone() + " (step " + model.stepCount() + ")");
            }
            model.progressOutput(out);
            if (a.flag("summary")) {
                out.print(model.summary());
            }
            // The shuffle order is a function of (seed, epoch): a resumed run sees the epochs the full run would.
            FitOptions fit = FitOptions.defaults().epochs(Math.max(0, epochs - model.epochsDone())).batchSize(batch)
                    .validationData(sets.test()).shuffleSeed(model.seed());
            if (epochLog != null) {
                fit.callbacks(new EpochLog(epochLog));
            }
            if (save != null) {
                // After every epoch, so that a run killed in epoch k can resume from epoch k - 1.
                fit.callbacks(new ModelCheckpoint(model, save, "loss", false));
            }
            History history = model.fit(sets.train(), fit);
            Model.Evaluation test = model.evaluate(sets.test(), batch);
            out.printf("test: loss %.4f, accuracy %.4f (%d examples)%n", test.loss(), test.accuracy(), test.count());
            if (save != null) {
                if (history.epochs() == 0) {
                    Checkpoints.save(model, save);
                }
                out.println("saved " + save + " (after epoch " + model.epochsDone() + ")");
            }
            if (metricsOut != null) {
                writeMetrics(metricsOut, modelName, selection, batch, history, test);
                out.println("metrics: " + metricsOut);
            }
        }
        return 0;
    }

    private static Model newModel(String modelName, String optimizerName, double lr, long seed, int batch,
                                  Backend backend) {
        Optimizer optimizer = optimizerName.equals("adam") ? new Adam((float) lr) : new Sgd((float) lr, 0.9f, false, 0f);
        Model model = MnistModels.named(modelName);
        model.seed(seed).compile(optimizer, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        model.build(batch, backend);
        return model;
    }

    /** With --resume the model, optimizer, learning rate and seed come from the checkpoint; options may only repeat them. */
    private static void requireAgreement(Args a, Model model, String modelName, Path resume) {
        String lr = a.get("lr", null);
        String seed = a.get("seed", null);
        String[][] checks = {
                {"model", a.get("model", null), modelName},
                {"optimizer", a.get("optimizer", null), model.optimizer().name()},
                {"lr", lr == null ? null : Float.toString((float) a.positiveNumber("lr", 0)),
                        Float.toString(model.optimizer().learningRate())},
                {"seed", seed == null ? null : Long.toString(a.integer("seed", 0, 0)), Long.toString(model.seed())}};
        for (String[] c : checks) {
            if (c[1] != null && !c[1].equals(c[2])) {
                throw new Args.UsageException("train: --" + c[0] + " " + a.get(c[0], null) + " disagrees with the checkpoint "
                        + resume + ", which has " + c[2] + "; leave --" + c[0] + " out when resuming");
            }
        }
    }

    /** Which of the bundled MNIST models {@code model} is, by its architecture, or "custom". */
    private static String architectureName(Model model) {
        Map<String, Object> architecture = Architecture.describe(model);
        for (String name : MnistModels.NAMES) {
            try (Backend cpu = new CpuBackend(); Model candidate = MnistModels.named(name)) {
                candidate.compile(new Sgd(), model.loss()); // names its layers as the saved model's were named
                candidate.build(1, cpu);
                if (Architecture.describe(candidate).equals(architecture)) {
                    return name;
                }
            }
        }
        return "custom";
    }

    private static void writeMetrics(Path file, String modelName, Backends.Selection selection, int batch,
                                     History history, Model.Evaluation test) throws IOException {
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

    private int evaluate(Args a) throws IOException {
        Path weights = a.inputFile("weights");
        int batch = a.integer("batch", 128, 1);
        DeviceChoice device = DeviceChoice.of(a, "auto");
        MnistLoader.Sets sets = data(a);
        Backends.Selection selection = device.open();
        try (Backend backend = selection.backend(); Model model = Checkpoints.loadForInference(weights, backend, batch)) {
            Model.Evaluation test = model.evaluate(sets.test(), batch);
            out.println("device: " + selection.description());
            out.printf("test: loss %.4f, accuracy %.4f (%d examples)%n", test.loss(), test.accuracy(), test.count());
        }
        return 0;
    }

    private int predict(Args a) throws IOException {
        Path weights = a.inputFile("weights");
        int index = a.integer("index", 0, 0);
        DeviceChoice device = DeviceChoice.of(a, "auto");
        MnistLoader.Sets sets = data(a);
        Dataset test = sets.test();
        if (index >= test.count()) {
            throw a.error("--index " + index + " is outside the " + test.count() + " test examples");
        }
        try (Backend backend = device.open().backend(); Model model = Checkpoints.loadForInference(weights, backend, 1)) {
            float[] image = new float[test.exampleSize()];
            test.copyInput(index, image, 0);
            out.print(AsciiDigit.render(image, test.exampleShape().dim(-2), test.exampleShape().dim(-1)));
            float[] probs = model.predict(test.range(index, index + 1));
            int best = 0;
            for (int k = 1; k < probs.length; k++) {
                if (probs[k] > probs[best]) {
                    best = k;
                }
            }
            out.printf("label %d, predicted %d%n", test.label(index), best);
            for (int k = 0; k < probs.length; k++) {
                out.printf("  %d  %6.4f  %s%n", k, probs[k], "#".repeat(Math.round(probs[k] * 40)));
            }
        }
        return 0;
    }

    private int selftest(Args a) {
        Backends.Selection selection = DeviceChoice.of(a, "cuda").open();
        out.println("device: " + selection.description());
        try (Backend backend = selection.backend()) {
            return SelfTest.run(backend, out) ? 0 : 1;
        }
    }
}
