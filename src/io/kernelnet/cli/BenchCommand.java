package io.kernelnet.cli;

import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.Engine;
import io.kernelnet.bench.KernelBench;
import io.kernelnet.bench.TrainBench;
import io.kernelnet.examples.MnistModels;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code kernelnet bench train|kernels ...}: their options checked here, before any device is opened; the work is
 * TrainBench's and KernelBench's.
 */
final class BenchCommand {
    static final String USAGE = String.join("\n",
            "  bench train [--device auto|cpu|cpu-reference|cuda] [--engine auto|kernels|vendor] [--tf32] [--no-graphs]",
            "            [--models mlp,cnn] [--batches 128,512] [--warmup N] [--warmup-seconds S] [--runs N]",
            "            [--steps-per-run N] [--out FILE.json] [--pytorch FILE.json] [--html FILE.html] [--gemm gemm.json]",
            "            [--conv conv.json]: examples/s of whole training steps, median of --runs timed windows of",
            "            --steps-per-run steps after --warmup windows and at least --warmup-seconds (3) of them;",
            "            --pytorch: train_bench.py's JSON, for a table of ratios; --html: a report with bar charts",
            "  bench kernels [--device cuda|cuda:N] [--models mlp,cnn] [--batches 128,512] [--large-mib 256]",
            "            [--warmup N] [--runs N] [--out FILE.json] [--html FILE.html]: every GPU op at the models' layer",
            "            shapes, square and skinny GEMMs and --large-mib tensors, CUDA-event medians against the copy and",
            "            SGEMM ceilings and cuBLAS/cuDNN, targets marked met or missed (a GPU only: it times CUDA events)");

    private BenchCommand() {
    }

    static int run(String[] argv, PrintStream out) throws IOException {
        if (argv.length < 2 || !(argv[1].equals("train") || argv[1].equals("kernels"))) {
            throw new Args.UsageException("bench: expected 'bench train' or 'bench kernels', got "
                    + (argv.length < 2 ? "nothing after 'bench'" : "'bench " + argv[1] + "'"));
        }
        if (argv[1].equals("kernels")) {
            return KernelBench.run(kernelOptions(new Args("bench kernels", argv, 2, Set.of("device", "models", "batches",
                    "large-mib", "warmup", "runs", "out", "html"), Set.of())), out);
        }
        return TrainBench.run(options(new Args("bench train", argv, 2, Set.of("device", "engine", "models", "batches",
                "warmup", "warmup-seconds", "runs", "steps-per-run", "out", "pytorch", "html", "gemm", "conv"),
                Set.of("tf32", "no-graphs"))),
                out);
    }

    /**
     * The options of {@code bench kernels}, every value checked. A CPU device is refused: the bench times CUDA events
     * (bench train times the CPU backends).
     */
    static KernelBench.Options kernelOptions(Args a) {
        String device = a.get("device", "cuda").strip().toLowerCase(Locale.ROOT);
        if (!device.matches("cuda|cuda:\\d{1,4}")) {
            throw a.error("--device must be cuda or cuda:N, got '" + a.get("device", "cuda")
                    + "': it times CUDA events (bench train times the CPU)");
        }
        int ordinal = device.equals("cuda") ? 0 : Integer.parseInt(device.substring(5));
        int largeMib = a.integer("large-mib", 256, 1);
        if (largeMib > 2048) {
            throw a.error("--large-mib must be at most 2048 (a tensor of at most 2^29 floats), got " + largeMib);
        }
        int runs = a.integer("runs", 30, 5);
        return new KernelBench.Options(ordinal, models(a), batches(a), (long) largeMib << 20, a.integer("warmup", 5, 0),
                runs, a.outputFile("out"), a.outputFile("html"));
    }

    /** The options of {@code bench train}, every value checked. */
    static TrainBench.Options options(Args a) {
        String device = a.get("device", "auto");
        try {
            Backends.checkDeviceName(device);
        } catch (IllegalArgumentException e) {
            throw a.error("--" + e.getMessage());
        }
        Engine engine;
        try {
            engine = Engine.parse(a.get("engine", "auto"));
        } catch (IllegalArgumentException e) {
            throw a.error("--" + e.getMessage());
        }
        List<String> models = models(a);
        List<Integer> batches = batches(a);
        int warmup = a.integer("warmup", 3, 0);
        int warmupSeconds = a.integer("warmup-seconds", 3, 0);
        int runs = a.integer("runs", 20, 1);
        int steps = a.integer("steps-per-run", 20, 1);
        for (int b : batches) {
            if ((long) b * steps > 1 << 20) {
                throw a.error("--batches " + b + " times --steps-per-run " + steps + " is over 1048576 examples");
            }
        }
        return new TrainBench.Options(device, new CudaOptions(engine, a.flag("tf32"), false, !a.flag("no-graphs")), models, batches, warmup,
                warmupSeconds, runs, steps, a.outputFile("out"), a.get("pytorch", null) == null ? null : a.inputFile("pytorch"),
                a.outputFile("html"), a.get("gemm", null) == null ? null : a.inputFile("gemm"),
                a.get("conv", null) == null ? null : a.inputFile("conv"));
    }

    private static List<String> models(Args a) {
        List<String> models = new ArrayList<>();
        for (String m : list(a, "models", "mlp,cnn")) {
            if (!MnistModels.NAMES.contains(m)) {
                throw a.error("--models takes " + String.join(" and ", MnistModels.NAMES) + ", got '" + m + "'");
            }
            models.add(m);
        }
        return models;
    }

    private static List<Integer> batches(Args a) {
        List<Integer> batches = new ArrayList<>();
        for (String b : list(a, "batches", "128,512")) {
            int batch;
            try {
                batch = Integer.parseInt(b);
            } catch (NumberFormatException e) {
                throw a.error("--batches takes whole numbers >= 1, got '" + b + "'");
            }
            if (batch < 1) {
                throw a.error("--batches takes whole numbers >= 1, got " + batch);
            }
            batches.add(batch);
        }
        return batches;
    }

    /** The comma-separated values of option {@code name}, none empty, none repeated. */
    private static List<String> list(Args a, String name, String fallback) {
        List<String> values = new ArrayList<>();
        for (String v : a.get(name, fallback).split(",", -1)) {
            String s = v.strip();
            if (s.isEmpty()) {
                throw a.error("--" + name + " has an empty item in '" + a.get(name, fallback) + "'");
            }
            if (values.contains(s)) {
                throw a.error("--" + name + " names '" + s + "' twice");
            }
            values.add(s);
        }
        return values;
    }
}
