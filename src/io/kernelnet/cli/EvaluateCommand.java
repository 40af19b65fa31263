package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.io.Checkpoints;
import io.kernelnet.nn.Model;
import java.io.IOException;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kernelnet evaluate}: a checkpoint's loss and accuracy on the test set. */
@Command(name = "evaluate", sortOptions = false, showDefaultValues = true,
        description = "Test a saved model: loss and accuracy on the test set.")
final class EvaluateCommand extends OutputCommand {
    @Mixin
    SavedModelOptions model;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "128", description = "Examples per forward pass.")
    int batch;

    EvaluateCommand(PrintStream out) {
        super(out);
    }

    @Override
    public Integer call() throws IOException {
        OptionTypes.atLeast(spec, "--batch", batch, 1);
        SavedModelOptions.Checked checked = model.check(spec);
        Backends.Selection selection = checked.device().open();
        try (Backend backend = selection.backend();
             Model m = Checkpoints.loadForInference(checked.weights(), backend, batch)) {
            Model.Evaluation test = m.evaluate(checked.data().test(), batch);
            out.println("device: " + selection.description());
            out.printf("test: loss %.4f, accuracy %.4f (%d examples)%n", test.loss(), test.accuracy(), test.count());
        }
        return 0;
    }
}
