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
import io.kernelnet.nn.Architecture;
import io.kernelnet.nn.Model;
import io.kernelnet.train.Adam;
import io.kernelnet.train.EpochLog;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import io.kernelnet.train.ModelCheckpoint;
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

/** The {@code kernelnet} command: train, evaluate, predict, info, selftest. */
public final class Main {
    static final String USAGE = String.join("\n",
            "usage: kernelnet <command> [options]",
            "  train     [--model mlp|cnn] [--data DIR] [--epochs N] [--batch N] [--lr X] [--optimizer adam|sgd]",
            "            [--device auto|cpu|cpu-reference|cuda] [--engine kernels|vendor] [--tf32] [--seed N] [--save FILE]",
            "            [--metrics-out FILE.json] [--log FILE.csv|FILE.json] [--summary] [--deterministic]",
            "            [--resume FILE]: --save writes a checkpoint after every epoch; --resume continues one to",
            "            --epochs epochs in all (model, optimizer, learning rate and seed come from FILE)",
            "  evaluate  --weights FILE [--data DIR] [--device auto|cpu|cpu-reference|cuda] [--batch N]",
            "  predict   --weights FILE --index I [--data DIR] [--device auto|cpu|cpu-reference|cuda]",
            "  info      Java, devices, CUDA/cuBLAS/cuDNN versions (or why none)",
            "  selftest  [--device cuda] [--engine kernels|vendor] [--tf32] [--deterministic]: every GPU op against",
            "            the CPU reference",
            "Data: the bundled MNIST subset (8,000 train / 2,000 test) unless --data DIR names the four standard",
            "MNIST or Fashion-MNIST IDX files.");

    private final PrintStream out;

    Main(PrintStream out) {
        this.out = out;
    }

    public static void main(String[] argv) {
        int status;
        try {
            status = new Main(System.out).run(argv);
        } catch (Args.UsageException e) {
            System.err.println("kernelnet: " + e.getMessage());
            System.err.println(USAGE);
            status = 2;
        } catch (java.nio.file.NoSuchFileException e) {
            System.err.println("kernelnet: no such file: " + e.getMessage());
            status = 1;
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException | IOException e) {
            System.err.println("kernelnet: " + e.getMessage());
            status = 1;
        }
        System.exit(status);
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
                            "resume", "metrics-out", "log"), Set.of("tf32", "summary", "deterministic")));
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
            default -> throw new Args.UsageException("unknown command '" + command + "'");
        };
    }

    private static Backends.Selection backend(Args a) {
        return Backends.select(a.get("device", "auto"), cudaOptions(a));
    }

    private static CudaOptions cudaOptions(Args a) {
        return new CudaOptions(Engine.parse(a.get("engine", "kernels")), a.flag("tf32"), a.flag("deterministic"));
    }

    private static MnistLoader.Sets data(Args a) throws IOException {
        String dir = a.get("data", null);
        return dir == null ? MnistLoader.loadBundled() : MnistLoader.loadDirectory(Path.of(dir));
    }

    private int train(Args a) throws IOException {
        int epochs = a.integer("epochs", 5, 0);
        int batch = a.integer("batch", 128, 1);
        String resume = a.get("resume", null);
        MnistLoader.Sets sets = data(a);
        Backends.Selection selection = backend(a);
        out.println("device: " + selection.description());
        out.println("data: " + sets.train().count() + " training and " + sets.test().count() + " test examples");
        try (Backend backend = selection.backend();
             Model model = resume == null ? newModel(a, batch, backend) : Checkpoints.load(Path.of(resume), backend, batch)) {
            String modelName = resume == null ? a.get("model", "cnn") : architectureName(model);
            if (resume != null) {
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
            String log = a.get("log", null);
            if (log != null) {
                fit.callbacks(new EpochLog(Path.of(log)));
            }
            String save = a.get("save", null);
            if (save != null) {
                // After every epoch, so that a run killed in epoch k can resume from epoch k - 1.
                fit.callbacks(new ModelCheckpoint(Path.of(save), "loss", false));
            }
            History history = model.fit(sets.train(), fit);
            Model.Evaluation test = model.evaluate(sets.test(), batch);
            out.printf("test: loss %.4f, accuracy %.4f (%d examples)%n", test.loss(), test.accuracy(), test.count());
            if (save != null) {
                if (history.epochs() == 0) {
                    Checkpoints.save(model, Path.of(save));
                }
                out.println("saved " + save + " (after epoch " + model.epochsDone() + ")");
            }
            String metricsOut = a.get("metrics-out", null);
            if (metricsOut != null) {
                writeMetrics(Path.of(metricsOut), modelName, selection, batch, history, test);
                out.println("metrics: " + metricsOut);
            }
        }
        return 0;
    }

    private static Model newModel(Args a, int batch, Backend backend) {
        String optimizerName = a.get("optimizer", "adam");
        Optimizer optimizer = switch (optimizerName) {
            case "adam" -> new Adam((float) a.number("lr", 0.001));
            case "sgd" -> new Sgd((float) a.number("lr", 0.01), 0.9f, false, 0f);
            default -> throw new Args.UsageException("train: --optimizer must be adam or sgd, got '" + optimizerName + "'");
        };
        Model model = MnistModels.named(a.get("model", "cnn"));
        model.seed(a.integer("seed", 42, 0)).compile(optimizer, Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        model.build(batch, backend);
        return model;
    }

    /** With --resume the model, optimizer, learning rate and seed come from the checkpoint; options may only repeat them. */
    private static void requireAgreement(Args a, Model model, String modelName, String resume) {
        String lr = a.get("lr", null);
        String seed = a.get("seed", null);
        String[][] checks = {
                {"model", a.get("model", null), modelName},
                {"optimizer", a.get("optimizer", null), model.optimizer().name()},
                {"lr", lr == null ? null : Float.toString((float) a.number("lr", 0)),
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
        Path weights = Path.of(a.require("weights"));
        int batch = a.integer("batch", 128, 1);
        MnistLoader.Sets sets = data(a);
        Backends.Selection selection = backend(a);
        try (Backend backend = selection.backend(); Model model = Checkpoints.loadForInference(weights, backend, batch)) {
            Model.Evaluation test = model.evaluate(sets.test(), batch);
            out.println("device: " + selection.description());
            out.printf("test: loss %.4f, accuracy %.4f (%d examples)%n", test.loss(), test.accuracy(), test.count());
        }
        return 0;
    }

    private int predict(Args a) throws IOException {
        Path weights = Path.of(a.require("weights"));
        MnistLoader.Sets sets = data(a);
        Dataset test = sets.test();
        int index = a.integer("index", 0, 0);
        if (index >= test.count()) {
            throw new IllegalArgumentException("predict: --index " + index + " is outside the " + test.count()
                    + " test examples");
        }
        try (Backend backend = backend(a).backend(); Model model = Checkpoints.loadForInference(weights, backend, 1)) {
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
        Backends.Selection selection = Backends.select(a.get("device", "cuda"), cudaOptions(a));
        out.println("device: " + selection.description());
        try (Backend backend = selection.backend()) {
            return SelfTest.run(backend, out) ? 0 : 1;
        }
    }
}
