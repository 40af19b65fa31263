package io.kernelnet.bench;

import io.kernelnet.cli.DeviceOptions;
import io.kernelnet.cli.HelpOption;
import io.kernelnet.cli.OptionTypes;
import io.kernelnet.cli.UsageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kernelnet bench train}: examples/s of whole training steps (TrainBench), every option checked first. */
@Command(name = "train", sortOptions = false, showDefaultValues = true,
        description = {"Examples/s of whole training steps: the median of --runs timed windows of --steps-per-run"
                + " steps, after --warmup windows and at least --warmup-seconds of them.",
                "--pytorch: train_bench.py's JSON, for a table of ratios; --html: a report with bar charts."})
final class TrainBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    BenchCommand bench;

    @Mixin
    DeviceOptions device;

    @Mixin
    DeviceOptions.StepGraphs graphs;

    @Mixin
    BenchCommand.Shapes shapes;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Windows discarded first.")
    int warmup;

    @Option(names = "--warmup-seconds", paramLabel = "S", defaultValue = "3",
            description = "More windows discarded until this many seconds have passed (the JIT compiles the CPU"
                    + " kernels in seconds).")
    int warmupSeconds;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "20", description = "Timed windows.")
    int runs;

    @Option(names = "--steps-per-run", paramLabel = "N", defaultValue = "20",
            description = "Training steps in each window (one fit epoch over synthetic data).")
    int stepsPerRun;

    @Mixin
    BenchCommand.Reports reports;

    @Option(names = "--pytorch", paramLabel = "FILE.json", converter = OptionTypes.InputFile.class,
            description = "bench/pytorch/train_bench.py's results, for a table of ratios against the targets.")
    Path pytorch;

    @Option(names = "--gemm", paramLabel = "gemm.json", converter = OptionTypes.InputFile.class,
            description = "The GEMM bench's JSON, charted in the report.")
    Path gemm;

    @Option(names = "--conv", paramLabel = "conv.json", converter = OptionTypes.InputFile.class,
            description = "The conv bench's JSON, charted in the report.")
    Path conv;

    @Mixin
    HelpOption help;

    @Override
    public Integer call() throws IOException {
        return TrainBench.run(options(), bench.output());
    }

    /** The options, every value checked. */
    TrainBench.Options options() {
        DeviceOptions.Choice choice = device.choose(spec, "auto", graphs.on());
        List<String> models = shapes.models(spec);
        List<Integer> batches = shapes.batches(spec);
        OptionTypes.atLeast(spec, "--warmup", warmup, 0);
        OptionTypes.atLeast(spec, "--warmup-seconds", warmupSeconds, 0);
        OptionTypes.atLeast(spec, "--runs", runs, 1);
        OptionTypes.atLeast(spec, "--steps-per-run", stepsPerRun, 1);
        for (int b : batches) {
            if ((long) b * stepsPerRun > 1 << 20) {
                throw UsageException.of(spec, "--batches " + b + " times --steps-per-run " + stepsPerRun
                        + " is over 1048576 examples");
            }
        }
        return new TrainBench.Options(choice.device(), choice.cuda(), models, batches, warmup, warmupSeconds, runs,
                stepsPerRun, reports.json, pytorch, reports.html, gemm, conv);
    }
}
