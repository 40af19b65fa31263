package io.kernelnet.bench;

import io.kernelnet.cli.OutputCommand;
import io.kernelnet.cli.OptionTypes;
import io.kernelnet.cli.UsageException;
import io.kernelnet.examples.MnistModels;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code kernelnet bench train|kernels}: the command line finds this class when kernelnet-bench.jar is on the class
 * path (cli.Main) and adds it as its {@code bench} command. The options are checked here, before any device is
 * opened; the work is TrainBench's and KernelBench's.
 */
@Command(name = "bench", subcommands = {TrainBenchCommand.class, KernelBenchCommand.class},
        synopsisSubcommandLabel = "train|kernels",
        description = "Benchmarks: training steps per second (bench train) and every GPU op (bench kernels);"
                + " see bench/README.md.")
public final class BenchCommand extends OutputCommand {
    public BenchCommand(PrintStream out) {
        super(out);
    }

    /** Where the subcommands print. */
    PrintStream output() {
        return out;
    }

    @Override
    public Integer call() {
        throw UsageException.of(spec, "expected 'bench train' or 'bench kernels', got nothing after 'bench'");
    }

    /** {@code --out} and {@code --html}: where the results go besides the table on standard output. */
    static final class Reports {
        @Option(names = "--out", paramLabel = "FILE.json", converter = OptionTypes.OutputFile.class,
                description = "The results as JSON (schema in bench/README.md).")
        Path json;

        @Option(names = "--html", paramLabel = "FILE.html", converter = OptionTypes.OutputFile.class,
                description = "A self-contained report with bar charts.")
        Path html;
    }

    /** {@code --models} and {@code --batches}: which of the bundled models, at which batch sizes. */
    static final class Shapes {
        @Option(names = "--models", paramLabel = "mlp,cnn", defaultValue = "mlp,cnn", description = "The models.")
        String models;

        @Option(names = "--batches", paramLabel = "128,512", defaultValue = "128,512",
                description = "The batch sizes, for each model.")
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
