package io.kernelnet.cli;

import io.kernelnet.data.MnistLoader;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** {@code --data DIR}: MNIST or Fashion-MNIST IDX files instead of the bundled digits. */
final class DataOption {
    @Option(names = "--data", paramLabel = "DIR", converter = OptionTypes.InputDirectory.class,
            description = "The four standard MNIST or Fashion-MNIST IDX files (train-images-idx3-ubyte,"
                    + " train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; gzipped ones too)."
                    + " Default: the bundled MNIST subset (8,000 train / 2,000 test).")
    Path dir;

    /** The data; a directory without the four files is a usage error of {@code spec}'s command. */
    MnistLoader.Sets load(CommandSpec spec) throws IOException {
        if (dir == null) {
            return MnistLoader.loadBundled();
        }
        try {
            MnistLoader.files(dir);
        } catch (IllegalArgumentException e) {
            throw UsageException.of(spec, "--data " + e.getMessage());
        }
        return MnistLoader.loadDirectory(dir);
    }
}
