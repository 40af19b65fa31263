package io.kernelnet.bench;

import io.kernelnet.cli.HelpOption;
import io.kernelnet.cli.OptionTypes;
import io.kernelnet.cli.UsageException;
import io.kernelnet.examples.MnistModels;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code kernelnet bench train|kernels}: the command line finds this class when kernelnet-bench.jar is on the class
 * path (cli.Main) and adds it as its {@code bench} command. The options are checked here, before any device is
 * opened; the work is TrainBench's and KernelBench's.
 */
@Command(name = "bench", subcommands = {TrainBenchCommand.class, KernelBenchCommand.class},
        synopsisSubcommandLabel = "train|kernels",
        description = "Benchmarks: training steps per second (bench train) and every GPU op (bench kernels);"
                + " see bench/README.md.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    HelpOption help;

    final PrintStream out;

    public BenchCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        throw UsageException.of(spec, "expected 'bench train' or 'bench kernels', got nothing after 'bench'");
    }

    /** {@code --models} and {@code --batches}: which of the bundled models, at which batch sizes. */
    static final class Shapes {
        @Option(names = "--models", paramLabel = "mlp,cnn", defaultValue = "mlp,cnn",
                description = "Default: ${DEFAULT-VALUE}.")
        String models;

        @Option(names = "--batches", paramLabel = "128,512", defaultValue = "128,512",
                description = "Default: ${DEFAULT-VALUE}.")
        String batches;

        List<String> models(CommandSpec spec) {
            List<String> names = OptionTypes.items(spec, "--models", models);
            for (String m : names) {
                if (!MnistModels.NAMES.contains(m)) {
                    throw UsageException.of(spec, "--models takes " + String.join(" and ", MnistModels.NAMES)
                            + ", got '" + m + "'");
                }
            }
            return names;
        }

        List<Integer> batches(CommandSpec spec) {
            List<Integer> sizes = new ArrayList<>();
            for (String b : OptionTypes.items(spec, "--batches", batches)) {
                int batch;
                try {
                    batch = Integer.parseInt(b);
                } catch (NumberFormatException e) {
                    throw UsageException.of(spec, "--batches takes whole numbers >= 1, got '" + b + "'");
                }
                if (batch < 1) {
                    throw UsageException.of(spec, "--batches takes whole numbers >= 1, got " + batch);
                }
                sizes.add(batch);
            }
            return sizes;
        }
    }
}
