package io.kernelnet.data;

import io.kernelnet.tensor.Shape;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Loads MNIST-format data sets (MNIST, Fashion-MNIST): the four standard IDX files, each raw or gzipped. Pixels
 * become byte / 255 in [0, 1], images [1, rows, cols]; labels must be below {@link #NUM_CLASSES}. No network.
 */
public final class MnistLoader {
    public static final int NUM_CLASSES = 10;
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";
    /** Where the bundled subset lies on the classpath (Maven copies the repository's data/*.gz there). */
    public static final String BUNDLED_RESOURCE_DIR = "/data/";

    private MnistLoader() {
    }

    public record Sets(Dataset train, Dataset test) {
    }

    /** Loads the four standard files from {@code dir}; each may be raw or have a .gz suffix (raw is preferred). */
    public static Sets loadDirectory(Path dir) throws IOException {
        List<Path> files = files(dir);
        return new Sets(toDataset(IdxReader.read(files.get(0)), IdxReader.read(files.get(1))),
                toDataset(IdxReader.read(files.get(2)), IdxReader.read(files.get(3))));
    }

    /**
     * The four files in {@code dir} (train images, train labels, test images, test labels), without reading them;
     * an IllegalArgumentException names the first one missing. Lets the CLI tell a wrong directory (a usage
     * error) from a corrupt file.
     */
    public static List<Path> files(Path dir) {
        return List.of(find(dir, TRAIN_IMAGES), find(dir, TRAIN_LABELS), find(dir, TEST_IMAGES), find(dir, TEST_LABELS));
    }

    private static Path find(Path dir, String name) {
        for (String candidate : new String[] {name, name + ".gz"}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException(dir + ": no " + name + " or " + name + ".gz (expected the four MNIST files "
                + Arrays.asList(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS) + ")");
    }

    /** The 8,000 + 2,000 real MNIST digits bundled in the jar (see data/README.md in the repository). */
    public static Sets loadBundled() throws IOException {
        return new Sets(
                toDataset(readResource(TRAIN_IMAGES), readResource(TRAIN_LABELS)),
                toDataset(readResource(TEST_IMAGES), readResource(TEST_LABELS)));
    }

    private static IdxArray readResource(String name) throws IOException {
        String resource = BUNDLED_RESOURCE_DIR + name + ".gz";
        try (InputStream in = MnistLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("bundled MNIST resource " + resource + " is not on the classpath; "
                        + "build with Maven, which copies data/*.gz into the jar");
            }
            return IdxReader.read(in, "classpath:" + resource);
        }
    }

    /** Checks an images file [n, rows, cols] against its labels file [n] and converts them. */
    public static Dataset toDataset(IdxArray images, IdxArray labels) {
        if (images.dims().length != 3) {
            throw images.errorAt(3, "expected 3 dimensions [images, rows, columns], found "
                    + Arrays.toString(images.dims()));
        }
        if (labels.dims().length != 1) {
            throw labels.errorAt(3, "expected 1 dimension [labels], found " + Arrays.toString(labels.dims()));
        }
        if (images.count() != labels.count()) {
            throw labels.errorAt(4, "has " + labels.count() + " labels but " + images.source() + " has "
                    + images.count() + " images");
        }
        float[] y = new float[labels.count()];
        for (int i = 0; i < y.length; i++) {
            int label = labels.unsigned(i);
            if (label >= NUM_CLASSES) {
                throw labels.errorAt(labels.payloadOffset() + i, "label " + i + " is " + label
                        + ", expected a class below " + NUM_CLASSES);
            }
            y[i] = label;
        }
        float[] x = new float[images.data().length];
        for (int i = 0; i < x.length; i++) {
            x[i] = images.unsigned(i) / 255f;
        }
        return new Dataset(x, Shape.of(1, images.dims()[1], images.dims()[2]), y, NUM_CLASSES);
    }
}
