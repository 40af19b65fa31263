package io.kernelnet.bench;

import io.kernelnet.cli.HelpOption;
import io.kernelnet.cli.OptionTypes;
import io.kernelnet.cli.UsageException;
import java.io.IOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kernelnet bench kernels}: every GPU op at the models' shapes (KernelBench), every option checked first. */
@Command(name = "kernels", sortOptions = false, showDefaultValues = true,
        description = {"Every GPU op at the models' layer shapes, square and skinny GEMMs and --large-mib tensors:"
                + " CUDA-event medians against the copy and SGEMM ceilings and cuBLAS/cuDNN, targets marked met or"
                + " missed. A GPU only: it times CUDA events (bench train times the CPU)."})
final class KernelBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @ParentCommand
    BenchCommand bench;

    @Option(names = "--device", paramLabel = "cuda|cuda:N", defaultValue = "cuda", description = "The GPU timed.")
    String device;

    @Mixin
    BenchCommand.Shapes shapes;

    @Option(names = "--large-mib", paramLabel = "MIB", defaultValue = "256",
            description = "The size of each large tensor, 1 to 2048.")
    int largeMib;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "5", description = "Untimed calls per case first.")
    int warmup;

    @Option(names = "--runs", paramLabel = "N", defaultValue = "30", description = "Timed calls per case, each alone between two CUDA"
            + " events; at least 5.")
    int runs;

    @Mixin
    BenchCommand.Reports reports;

    @Mixin
    HelpOption help;

    @Override
    public Integer call() throws IOException {
        return KernelBench.run(options(), bench.output());
    }

    /** The options, every value checked. A CPU device is refused: the bench times CUDA events. */
    KernelBench.Options options() {
        String d = device.strip().toLowerCase(Locale.ROOT);
        if (!d.matches("cuda|cuda:\\d{1,4}")) {
            throw UsageException.of(spec, "--device must be cuda or cuda:N, got '" + device
                    + "': it times CUDA events (bench train times the CPU)");
        }
        int ordinal = d.equals("cuda") ? 0 : Integer.parseInt(d.substring(5));
        var models = shapes.models(spec);
        var batches = shapes.batches(spec);
        OptionTypes.atLeast(spec, "--large-mib", largeMib, 1);
        if (largeMib > 2048) {
            throw UsageException.of(spec, "--large-mib must be at most 2048 (a tensor of at most 2^29 floats), got "
                    + largeMib);
        }
        OptionTypes.atLeast(spec, "--warmup", warmup, 0);
        OptionTypes.atLeast(spec, "--runs", runs, 5);
        return new KernelBench.Options(ordinal, models, batches, (long) largeMib << 20, warmup, runs, reports.json,
                reports.html);
    }
}
