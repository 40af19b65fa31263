package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.data.MnistLoader;
import io.kernelnet.io.Checkpoints;
import io.kernelnet.nn.Model;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kernelnet evaluate}: a checkpoint's loss and accuracy on the test set. */
@Command(name = "evaluate", sortOptions = false, description = "Test a saved model: loss and accuracy on the test set.")
final class EvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--weights", paramLabel = "FILE", converter = OptionTypes.InputFile.class,
            description = "Required: a checkpoint written by train --save.")
    Path weights;

    @Mixin
    DataOption data;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "128", description = "Default: ${DEFAULT-VALUE}.")
    int batch;

    @Mixin
    DeviceOptions device;

    @Mixin
    HelpOption help;

    private final PrintStream out;

    EvaluateCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        if (weights == null) { // not picocli's required: an unknown option is the first thing to report
            throw UsageException.of(spec, "--weights is required");
        }
        OptionTypes.atLeast(spec, "--batch", batch, 1);
        String deviceName = device.device(spec, "auto");
        var cuda = device.cudaOptions(spec, true);
        data.check(spec);
        MnistLoader.Sets sets = data.load();
        Backends.Selection selection = Backends.select(deviceName, cuda);
        try (Backend backend = selection.backend(); Model model = Checkpoints.loadForInference(weights, backend, batch)) {
            Model.Evaluation test = model.evaluate(sets.test(), batch);
            out.println("device: " + selection.description());
            out.printf("test: loss %.4f, accuracy %.4f (%d examples)%n", test.loss(), test.accuracy(), test.count());
        }
        return 0;
    }
}
