package io.kernelnet.cli;

import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.Engine;
import io.kernelnet.bench.TrainBench;
import io.kernelnet.examples.MnistModels;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code kernelnet bench train ...}: its options checked here, before any device is opened; the work is TrainBench's. */
final class BenchCommand {
    static final String USAGE = String.join("\n",
            "  bench train [--device auto|cpu|cpu-reference|cuda] [--engine auto|kernels|vendor] [--tf32] [--no-graphs]",
            "            [--models mlp,cnn] [--batches 128,512] [--warmup N] [--runs N] [--steps-per-run N]",
            "            [--out FILE.json] [--pytorch FILE.json] [--html FILE.html] [--gemm gemm.json] [--conv conv.json]:",
            "            examples/s of whole training steps, median of --runs timed windows of --steps-per-run steps;",
            "            --pytorch: train_bench.py's JSON, for a table of ratios; --html: a report with bar charts");

    private BenchCommand() {
    }

    static int run(String[] argv, PrintStream out) throws IOException {
        if (argv.length < 2 || !argv[1].equals("train")) {
            throw new Args.UsageException("bench: expected 'bench train', got "
                    + (argv.length < 2 ? "nothing after 'bench'" : "'bench " + argv[1] + "'"));
        }
        return TrainBench.run(options(new Args("bench train", argv, 2, Set.of("device", "engine", "models", "batches",
                "warmup", "runs", "steps-per-run", "out", "pytorch", "html", "gemm", "conv"), Set.of("tf32", "no-graphs"))),
                out);
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
        List<String> models = new ArrayList<>();
        for (String m : list(a, "models", "mlp,cnn")) {
            if (!MnistModels.NAMES.contains(m)) {
                throw a.error("--models takes " + String.join(" and ", MnistModels.NAMES) + ", got '" + m + "'");
            }
            models.add(m);
        }
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
        int warmup = a.integer("warmup", 3, 0);
        int runs = a.integer("runs", 20, 1);
        int steps = a.integer("steps-per-run", 20, 1);
        for (int b : batches) {
            if ((long) b * steps > 1 << 20) {
                throw a.error("--batches " + b + " times --steps-per-run " + steps + " is over 1048576 examples");
            }
        }
        return new TrainBench.Options(device, new CudaOptions(engine, a.flag("tf32"), false, !a.flag("no-graphs")), models, batches, warmup,
                runs, steps, a.outputFile("out"), a.get("pytorch", null) == null ? null : a.inputFile("pytorch"),
                a.outputFile("html"), a.get("gemm", null) == null ? null : a.inputFile("gemm"),
                a.get("conv", null) == null ? null : a.inputFile("conv"));
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
