package io.kernelnet.cli;

import io.kernelnet.data.MnistLoader;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** What evaluate and predict need to run a saved model: {@code --weights FILE}, the data and the device. */
final class SavedModelOptions {
    @Option(names = "--weights", paramLabel = "FILE", converter = OptionTypes.InputFile.class,
            description = "Required: a checkpoint written by train --save.")
    Path weights;

    @Mixin
    DataOption data;

    @Mixin
    DeviceOptions device;

    /** The checkpoint, the device asked for and the data, each checked before anything is opened. */
    record Checked(Path weights, DeviceOptions.Choice device, MnistLoader.Sets data) {
    }

    /**
     * The options checked and the data read. A missing --weights is a usage error here, not through picocli's
     * {@code required}, which would report it before an unknown option, the first thing to report.
     */
    Checked check(CommandSpec spec) throws IOException {
        if (weights == null) {
            throw UsageException.of(spec, "--weights is required");
        }
        DeviceOptions.Choice choice = device.choose(spec, "auto", true);
        return new Checked(weights, choice, data.load(spec));
    }
}
