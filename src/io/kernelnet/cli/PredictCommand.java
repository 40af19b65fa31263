package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.data.Dataset;
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

/** {@code kernelnet predict}: one test digit as ASCII art and a saved model's class probabilities for it. */
@Command(name = "predict", sortOptions = false,
        description = "Draw one test digit as ASCII art and print a saved model's class probabilities for it.")
final class PredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--weights", paramLabel = "FILE", converter = OptionTypes.InputFile.class,
            description = "Required: a checkpoint written by train --save.")
    Path weights;

    @Option(names = "--index", paramLabel = "I", defaultValue = "0",
            description = "Which test example. Default: ${DEFAULT-VALUE}.")
    int index;

    @Mixin
    DataOption data;

    @Mixin
    DeviceOptions device;

    @Mixin
    HelpOption help;

    private final PrintStream out;

    PredictCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws IOException {
        if (weights == null) { // not picocli's required: an unknown option is the first thing to report
            throw UsageException.of(spec, "--weights is required");
        }
        OptionTypes.atLeast(spec, "--index", index, 0);
        String deviceName = device.device(spec, "auto");
        var cuda = device.cudaOptions(spec, true);
        data.check(spec);
        Dataset test = data.load().test();
        if (index >= test.count()) {
            throw UsageException.of(spec, "--index " + index + " is outside the " + test.count() + " test examples");
        }
        try (Backend backend = Backends.select(deviceName, cuda).backend();
             Model model = Checkpoints.loadForInference(weights, backend, 1)) {
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
}
