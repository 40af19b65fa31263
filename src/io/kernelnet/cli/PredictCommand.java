package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.data.Dataset;
import io.kernelnet.io.Checkpoints;
import io.kernelnet.nn.Model;
import java.io.IOException;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kernelnet predict}: one test digit as ASCII art and a saved model's class probabilities for it. */
@Command(name = "predict", sortOptions = false, showDefaultValues = true,
        description = "Draw one test digit as ASCII art and print a saved model's class probabilities for it.")
final class PredictCommand extends OutputCommand {
    @Mixin
    SavedModelOptions model;

    @Option(names = "--index", paramLabel = "I", defaultValue = "0",
            description = "Which test example.")
    int index;

    PredictCommand(PrintStream out) {
        super(out);
    }

    @Override
    public Integer call() throws IOException {
        OptionTypes.atLeast(spec, "--index", index, 0);
        SavedModelOptions.Checked checked = model.check(spec);
        Dataset test = checked.data().test();
        if (index >= test.count()) {
            throw UsageException.of(spec, "--index " + index + " is outside the " + test.count() + " test examples");
        }
        try (Backend backend = checked.device().open().backend();
             Model m = Checkpoints.loadForInference(checked.weights(), backend, 1)) {
            float[] image = new float[test.exampleSize()];
            test.copyInput(index, image, 0);
            out.print(AsciiDigit.render(image, test.exampleShape().dim(-2), test.exampleShape().dim(-1)));
            float[] probs = m.predict(test.range(index, index + 1));
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
