package io.kernelnet.io;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.io.SafeTensors.Contents;
import io.kernelnet.io.SafeTensors.TensorData;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.TestRandom;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class SafeTensorsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    private LinkedHashMap<String, TensorData> randomTensors() {
        LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
        int count = 1 + rng.nextInt(6);
        for (int t = 0; t < count; t++) {
            int[] dims = new int[rng.nextInt(5)]; // rank 0 is a scalar
            for (int i = 0; i < dims.length; i++) {
                dims[i] = 1 + rng.nextInt(7);
            }
            Shape shape = Shape.of(dims);
            tensors.put("layer" + t + (rng.random().nextBoolean() ? ".weight" : ".bias"),
                    new TensorData(shape, rng.normal((int) shape.size())));
        }
        return tensors;
    }

    @Test
    void roundTripKeepsTensorsOrderAndMetadata() throws IOException {
        LinkedHashMap<String, TensorData> tensors = randomTensors();
        tensors.put("empty", new TensorData(Shape.of(3, 0), new float[0]));
        tensors.put("spans several read chunks", new TensorData(Shape.of(201, 200), rng.normal(201 * 200)));
        tensors.put("odd values", new TensorData(Shape.of(4),
                new float[] {-0.0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY}));
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("architecture", Json.write(Map.of("layers", List.of("conv", "relu"), "note", "say \"hi\"")));
        metadata.put("unicode \u00e9\u4e2d\ud83d\ude00", "line\nbreak \\ tab\t");
        Path file = dir.resolve("model.safetensors");

        SafeTensors.write(file, tensors, metadata);
        Contents c = SafeTensors.read(file);

        assertEquals(new ArrayList<>(tensors.keySet()), new ArrayList<>(c.tensors().keySet()));
        for (String name : tensors.keySet()) {
            assertEquals(tensors.get(name).shape(), c.tensors().get(name).shape(), name);
            assertArrayEquals(tensors.get(name).data(), c.tensors().get(name).data(), name);
        }
        assertEquals(metadata, c.metadata());
        assertEquals(new ArrayList<>(metadata.keySet()), new ArrayList<>(c.metadata().keySet()));
        assertEquals(file, c.file());
    }

    @Test
    void withoutMetadataThereIsNoMetadataEntry() throws IOException {
        Path file = dir.resolve("m.safetensors");
        SafeTensors.write(file, randomTensors(), null);
        assertEquals(Map.of(), SafeTensors.read(file).metadata());
        assertTrue(!new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains("__metadata__"));
    }

    @Test
    void fileLayoutIsTheSafetensorsFormat() throws IOException {
        float[] a = rng.normal(6);
        float[] b = rng.normal(1);
        LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("a", new TensorData(Shape.of(2, 3), a));
        tensors.put("b", new TensorData(Shape.of(1), b));
        Path file = dir.resolve("layout.safetensors");
        SafeTensors.write(file, tensors, Map.of("epoch", "3"));

        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long n = buf.getLong();
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        assertEquals(8 + n + 4 * 7, bytes.length);
        String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        String json = "{\"__metadata__\":{\"epoch\":\"3\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]}}";
        assertEquals(json, header.stripTrailing());
        assertTrue(header.length() - json.length() < 8 && header.substring(json.length()).isBlank());
        buf.position((int) (8 + n));
        for (float v : a) {
            assertEquals(Float.floatToRawIntBits(v), Float.floatToRawIntBits(buf.getFloat()));
        }
        assertEquals(Float.floatToRawIntBits(b[0]), Float.floatToRawIntBits(buf.getFloat()));
    }

    /**
     * Written by the reference implementation (Python safetensors 0.8.0, {@code safetensors.numpy.save_file}) from
     * {"b.weight": arange(12, float32).reshape(3, 4) / 7, "a.bias": [1.5, -2], "z": zeros((2, 0))} with metadata
     * {"epoch": "7", "q": "\"quoted\""}; the reference orders tensors by name, hence a.bias first.
     */
    private static final String REFERENCE_FILE_HEX = ""
            + "e8000000000000007b225f5f6d657461646174615f5f223a7b2265706f6368223a2237222c2271223a225c2271756f74"
            + "65645c22227d2c22612e62696173223a7b226474797065223a22463332222c227368617065223a5b325d2c2264617461"
            + "5f6f666673657473223a5b302c385d7d2c22622e776569676874223a7b226474797065223a22463332222c2273686170"
            + "65223a5b332c345d2c22646174615f6f666673657473223a5b382c35365d7d2c227a223a7b226474797065223a224633"
            + "32222c227368617065223a5b322c305d2c22646174615f6f666673657473223a5b35362c35365d7d7d20202020202020"
            + "0000c03f000000c0000000002549123e2549923eb76ddb3e2549123f6edb363fb76d5b3f0000803f2549923f4992a43f"
            + "6edbb63f9224c93f";

    @Test
    void matchesTheReferenceImplementationByteForByte() throws IOException {
        float[] weight = new float[12];
        for (int i = 0; i < 12; i++) {
            weight[i] = i / 7f;
        }
        LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("a.bias", new TensorData(Shape.of(2), new float[] {1.5f, -2f}));
        tensors.put("b.weight", new TensorData(Shape.of(3, 4), weight));
        tensors.put("z", new TensorData(Shape.of(2, 0), new float[0]));
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        metadata.put("epoch", "7");
        metadata.put("q", "\"quoted\"");
        Path ours = dir.resolve("ours.safetensors");
        SafeTensors.write(ours, tensors, metadata);
        byte[] reference = HexFormat.of().parseHex(REFERENCE_FILE_HEX);
        assertArrayEquals(reference, Files.readAllBytes(ours));

        Path theirs = dir.resolve("theirs.safetensors");
        Files.write(theirs, reference);
        Contents c = SafeTensors.read(theirs);
        assertEquals(List.of("a.bias", "b.weight", "z"), new ArrayList<>(c.tensors().keySet()));
        assertArrayEquals(weight, c.tensors().get("b.weight").data());
        assertEquals(Shape.of(3, 4), c.tensors().get("b.weight").shape());
        assertEquals(metadata, c.metadata());
    }

    @Test
    void writeIsAtomicAndReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, randomTensors(), Map.of("v", "1"));
        LinkedHashMap<String, TensorData> second = randomTensors();
        SafeTensors.write(file, second, Map.of("v", "2"));

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file may remain");
        }
        Contents c = SafeTensors.read(file);
        assertEquals("2", c.metadata().get("v"));
        assertEquals(second.keySet(), c.tensors().keySet());
        for (String name : second.keySet()) {
            assertArrayEquals(second.get(name).data(), c.tensors().get(name).data());
        }
    }

    @Test
    void aRefusedWriteLeavesTheOldFileAndNoTemporary() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        SafeTensors.write(file, randomTensors(), null);
        byte[] before = Files.readAllBytes(file);
        LinkedHashMap<String, TensorData> bad = randomTensors();
        bad.put("__metadata__", new TensorData(Shape.of(1), new float[1]));
        assertRefused(() -> SafeTensors.write(file, bad, null), "__metadata__");
        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList());
        }
    }

    /**
     * Temporary files that killed writers of the same checkpoint left (".NAME.HEX.tmp") go at the next write;
     * everything else stays, other checkpoints' temporaries and look-alikes included.
     */
    @Test
    void aWriteDeletesTheTemporaryFilesOfKilledWritersOfTheSameFileOnly() throws IOException {
        Path file = dir.resolve("ckpt.safetensors");
        List<String> leftovers = List.of(".ckpt.safetensors.0.tmp", ".ckpt.safetensors.5eed0123456789ab.tmp");
        List<String> kept = List.of(".other.safetensors.5eed.tmp", ".ckpt.safetensors.5eedX.tmp",
                "ckpt.safetensors.5eed.tmp", ".ckpt.safetensors.5eed.tmp.bak", "5eed.tmp");
        for (String name : leftovers) {
            Files.write(dir.resolve(name), new byte[] {1});
        }
        for (String name : kept) {
            Files.write(dir.resolve(name), new byte[] {1});
        }
        SafeTensors.write(file, randomTensors(), null);

        List<String> expected = new ArrayList<>(kept);
        expected.add(file.getFileName().toString());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(expected.stream().sorted().toList(),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void aWriteThatFailsAfterCreatingItsTemporaryFileDeletesIt() throws IOException {
        // a file cannot be renamed over a directory: the write fails at its very last step
        Path taken = Files.createDirectory(dir.resolve("ckpt.safetensors"));
        assertThrows(IOException.class, () -> SafeTensors.write(taken, randomTensors(), null));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(taken), files.toList(), "no temporary file may remain");
        }
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {"null, v", "k, null"})
    void writeRefusesNullInTheMetadataAndWritesNothing(String key, String value) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(key, value);
        Path file = dir.resolve("null.safetensors");
        assertRefused(() -> SafeTensors.write(file, randomTensors(), metadata), "checkpoint metadata cannot hold null");
        assertFalse(Files.exists(file));
    }

    @Test
    void tensorDataRefusesAShapeThatDoesNotMatchItsValues() {
        assertRefused(() -> new TensorData(Shape.of(2, 3), new float[5]), "[2, 3]", "6", "5");
    }

    /** Writes an 8-byte length, the header text and {@code dataBytes} random bytes. */
    private Path craft(String name, long headerLength, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        byte[] data = new byte[dataBytes];
        rng.random().nextBytes(data);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(headerLength).put(h).put(data);
        Path file = dir.resolve(name);
        Files.write(file, buf.array());
        return file;
    }

    private Path craft(String name, String header, int dataBytes) throws IOException {
        return craft(name, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + ","
                + end + "]}";
    }

    @Test
    void craftedValidFileIsAccepted() throws IOException {
        // Guards the crafting helper: the refusals below differ from this file in one thing each.
        Path file = craft("ok", "{" + entry("x", "F32", "[2]", 0, 8) + "," + entry("y", "F32", "[1,1]", 8, 12) + "}", 12);
        Contents c = SafeTensors.read(file);
        assertEquals(Shape.of(1, 1), c.tensors().get("y").shape());
    }

    /**
     * The header may list tensors in any order: each reads its own bytes by its offsets. Here y's data comes first,
     * and the empty tensor e shares its offset with x, listed before it, and z sits at the very end.
     */
    @Test
    void headerOrderNeedNotBeDataOrder() throws IOException {
        String header = "{" + entry("x", "F32", "[2]", 4, 12) + "," + entry("e", "F32", "[0]", 4, 4) + ","
                + entry("y", "F32", "[1]", 0, 4) + "," + entry("z", "F32", "[0]", 12, 12) + "}";
        Path file = craft("order", header, 12);
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer data = ByteBuffer.wrap(bytes, bytes.length - 12, 12).slice().order(ByteOrder.LITTLE_ENDIAN);
        Contents c = SafeTensors.read(file);
        assertEquals(List.of("x", "e", "y", "z"), List.copyOf(c.tensors().keySet()), "the header's order");
        assertArrayEquals(new float[] {data.getFloat(0)}, c.tensors().get("y").data());
        assertArrayEquals(new float[] {data.getFloat(4), data.getFloat(8)}, c.tensors().get("x").data());
        assertEquals(0, c.tensors().get("e").data().length);
    }

    @Test
    void refusesDataOffsetsThatAreNotOneBeginAndOneEnd() throws IOException {
        for (String offsets : new String[] {"[0,8,8]", "[8]", "[]"}) {
            Path file = craft("offsets", "{" + entry("x", "F32", "[2]", 0, 8).replace("[0,8]", offsets) + "}", 8);
            assertRefused(() -> SafeTensors.read(file), file.toString(), "tensor 'x'",
                    "data_offsets must be an array of 2 non-negative integers, is " + offsets);
        }
    }

    @Test
    void refusesFilesTooShortOrWithImpossibleHeaderLengths() throws IOException {
        Path tiny = dir.resolve("tiny");
        Files.write(tiny, new byte[5]);
        assertRefused(() -> SafeTensors.read(tiny), tiny.toString(), "byte 0", "5 bytes");

        String header = "{" + entry("x", "F32", "[2]", 0, 8) + "}";
        Path past = craft("past", header.length() + 9, header, 8);
        assertRefused(() -> SafeTensors.read(past), past.toString(), "byte 0", "header length " + (header.length() + 9),
                "past the end");
        Path huge = craft("huge", 1L << 40, header, 8);
        assertRefused(() -> SafeTensors.read(huge), huge.toString(), "byte 0", "exceeds the limit");
        Path negative = craft("negative", -1L, header, 8);
        assertRefused(() -> SafeTensors.read(negative), negative.toString(), "18446744073709551615");
    }

    /** A file of just the 8-byte length, claiming {@code headerLength} header bytes. */
    private static byte[] lengthOnly(long headerLength) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerLength).array();
    }

    static Stream<Arguments> headerLengthBoundaries() {
        long max = SafeTensors.MAX_HEADER_BYTES;
        return Stream.of(
                Arguments.of(new byte[7], 0, "file is 7 bytes, shorter than the 8-byte header length"),
                // the length fits in exactly 8 bytes; the empty header after it is what is wrong
                Arguments.of(lengthOnly(0), 8, "header is not valid JSON"),
                Arguments.of(lengthOnly(max), 0, "header length " + max + " runs past the end of the 8-byte file"),
                Arguments.of(lengthOnly(max + 1), 0, "header length " + (max + 1) + " exceeds the limit of " + max));
    }

    @ParameterizedTest
    @MethodSource("headerLengthBoundaries")
    void headerLengthsAreRefusedForWhatIsWrongWithThem(byte[] content, long offset, String reason) throws IOException {
        Path file = Files.write(dir.resolve("short.safetensors"), content);
        FileFormatException e = assertThrows(FileFormatException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
        assertEquals(offset, e.offset(), e.getMessage());
        assertEquals(file.toString(), e.source());
    }

    @Test
    void refusesTruncatedData() throws IOException {
        LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("first", new TensorData(Shape.of(3), rng.normal(3)));
        tensors.put("last", new TensorData(Shape.of(5, 2), rng.normal(10)));
        Path file = dir.resolve("t.safetensors");
        SafeTensors.write(file, tensors, null);
        byte[] bytes = Files.readAllBytes(file);
        int cut = 1 + rng.nextInt(40);
        Files.write(file, Arrays.copyOf(bytes, bytes.length - cut));
        long lastBegin = bytes.length - 40;
        assertRefused(() -> SafeTensors.read(file), file.toString(), "tensor 'last'", "byte " + lastBegin, "truncated");
    }

    @Test
    void refusesOffsetsOutOfRangeOverlappingOrLeavingGaps() throws IOException {
        Path out = craft("out", "{" + entry("x", "F32", "[2]", 0, 8) + "," + entry("y", "F32", "[2]", 8, 16) + "}", 12);
        assertRefused(() -> SafeTensors.read(out), out.toString(), "tensor 'y'", "past the end");

        String overlap = "{" + entry("x", "F32", "[2]", 0, 8) + "," + entry("y", "F32", "[2]", 4, 12) + "}";
        Path over = craft("overlap", overlap, 12);
        long dataStart = 8 + overlap.length();
        assertRefused(() -> SafeTensors.read(over), over.toString(), "tensor 'y'", "overlaps", "byte " + (dataStart + 4));

        Path gap = craft("gap", "{" + entry("x", "F32", "[2]", 0, 8) + "," + entry("y", "F32", "[2]", 12, 20) + "}", 20);
        assertRefused(() -> SafeTensors.read(gap), gap.toString(), "tensor 'y'", "gap");

        Path lead = craft("lead", "{" + entry("x", "F32", "[2]", 4, 12) + "}", 12);
        assertRefused(() -> SafeTensors.read(lead), lead.toString(), "tensor 'x'", "gap");

        String one = "{" + entry("x", "F32", "[2]", 0, 8) + "}";
        Path extra = craft("extra", one, 9);
        assertRefused(() -> SafeTensors.read(extra), extra.toString(), "at byte " + (8 + one.length() + 8) + ": ",
                "the file has 1 more bytes");

        String backwardsHeader = "{" + entry("x", "F32", "[0]", 8, 0) + "}";
        Path backwards = craft("backwards", backwardsHeader, 8);
        assertRefused(() -> SafeTensors.read(backwards), "tensor 'x'", "end before they begin",
                "at byte " + (8 + backwardsHeader.length() + 8) + ": ");
    }

    /**
     * Shapes a Java array cannot hold, refused from the header before anything is allocated: a dimension of 2^31 or
     * more (even in an empty tensor, where it would wrap to another shape), more than Integer.MAX_VALUE - 8
     * elements, 2^40 of them, or 2^64, which wraps to 0 in a long and would match empty data_offsets. The largest
     * array is fine by its shape, and refused here only because the file does not hold its data.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "[0,2147483648]            | 0             | shape [0, 2147483648] is too large",
        "[0,4294967296]            | 0             | shape [0, 4294967296] is too large",
        "[2147483640]              | 8589934560    | [2147483640] has more elements than a Java array can hold",
        "[1048576,1048576]         | 4398046511104 | [1048576, 1048576] has more elements than a Java array can hold",
        "[65536,65536,65536,65536] | 0             | has more elements than a Java array can hold",
        "[2147483639]              | 8589934556    | data runs to byte"})
    void refusesShapesAJavaArrayCannotHoldBeforeAllocating(String shape, long end, String reason) throws IOException {
        Path file = craft("huge", "{" + entry("x", "F32", shape, 0, end) + "}", 8);
        assertRefused(() -> SafeTensors.read(file), file.toString(), "tensor 'x'", reason);
    }

    @Test
    void readsADimensionOf2To31Minus1InAnEmptyTensor() throws IOException {
        Path file = craft("wide", "{" + entry("x", "F32", "[0,2147483647]", 0, 0) + "}", 0);
        assertEquals(Shape.of(0, Integer.MAX_VALUE), SafeTensors.read(file).tensors().get("x").shape());
    }

    @Test
    void refusesDataOffsetsPastTheFileBeforeAllocating() throws IOException {
        Path file = craft("liar", "{" + entry("x", "F32", "[268435456]", 0, 1L << 30) + "}", 8);
        assertRefused(() -> SafeTensors.read(file), file.toString(), "tensor 'x'", "data runs to byte",
                "past the end");
    }

    @Test
    void refusesASizeThatDoesNotMatchTheShape() throws IOException {
        String header = "{" + entry("x", "F32", "[2]", 0, 8) + "," + entry("w", "F32", "[3]", 8, 16) + "}";
        Path file = craft("size", header, 16);
        assertRefused(() -> SafeTensors.read(file), file.toString(), "tensor 'w'", "needs 12 bytes", "span 8",
                "at byte " + (8 + header.length() + 8) + ": ");
    }

    @Test
    void refusesOtherDtypesNamingTheTensorAndWhereItsEntryIs() throws IOException {
        String header = "{" + entry("x", "F32", "[2]", 0, 8) + "," + entry("w", "F16", "[2]", 8, 12) + "}";
        Path file = craft("dtype", header, 12);
        long entryOffset = 8 + header.indexOf("\"w\"");
        assertRefused(() -> SafeTensors.read(file), file.toString(), "tensor 'w'", "\"F16\"", "only F32 and BF16",
                "byte " + entryOffset);
    }

    /** BF16 is the top half of a float32's bits, widened exactly: a fraction, a subnormal, an infinity, NaN. */
    @Test
    void readsBfloat16WidenedExactlyBesideFloat32() throws IOException {
        int[] bits = {0x3F800000, 0xC0200000, 0x3E200000, 0x00010000, 0xFF800000, 0x7FC00000};
        float f32 = rng.normal(1)[0];
        String header = "{" + entry("b", "BF16", "[2,3]", 0, 12) + "," + entry("f", "F32", "[1]", 12, 16) + "}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 16).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (int b : bits) {
            buf.putShort((short) (b >>> 16));
        }
        buf.putFloat(f32);
        Path file = dir.resolve("bf16.safetensors");
        Files.write(file, buf.array());
        Contents c = SafeTensors.read(file);
        float[] b = c.tensors().get("b").data();
        for (int i = 0; i < bits.length; i++) {
            assertEquals(bits[i], Float.floatToRawIntBits(b[i]), "element " + i);
        }
        assertEquals(Shape.of(2, 3), c.tensors().get("b").shape());
        assertEquals(f32, c.tensors().get("f").data()[0]);

        Path wrongSize = craft("bf16-size", "{" + entry("w", "BF16", "[3]", 0, 12) + "}", 12);
        assertRefused(() -> SafeTensors.read(wrongSize), "tensor 'w'", "needs 6 bytes of BF16", "span 12");
    }

    @Test
    void entryOffsetsCountUtf8Bytes() throws IOException {
        // 1, 2 and 3 UTF-8 bytes on either side of each boundary (0x80, 0x800), and a surrogate pair (4)
        String header = "{\"__metadata__\":{\"\u007f\u0080\u07ff\u0800\":\"\ud83d\ude00\u00e9\u4e2d\"},"
                + entry("w", "I64", "[1]", 0, 8) + "}";
        Path file = craft("utf8", header, 8);
        long entryOffset = 8 + header.substring(0, header.indexOf("\"w\"")).getBytes(StandardCharsets.UTF_8).length;
        assertRefused(() -> SafeTensors.read(file), "tensor 'w'", "at byte " + entryOffset + ": ");
    }

    @Test
    void refusesMalformedHeaders() throws IOException {
        Path broken = craft("broken", "{\"x\": {\"dtype\": \"F32\",", 0);
        assertRefused(() -> SafeTensors.read(broken), broken.toString(), "not valid JSON");

        Path notObject = craft("array", "[1, 2]", 0);
        assertRefused(() -> SafeTensors.read(notObject), "must be a JSON object");

        Path missing = craft("missing", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8);
        assertRefused(() -> SafeTensors.read(missing), "tensor 'x'", "exactly dtype, shape and data_offsets");

        Path extraKey = craft("extraKey", "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"z\":1}}", 8);
        assertRefused(() -> SafeTensors.read(extraKey), "tensor 'x'", "exactly dtype, shape and data_offsets");

        Path negativeDim = craft("negDim", "{" + entry("x", "F32", "[-2]", 0, 8) + "}", 8);
        assertRefused(() -> SafeTensors.read(negativeDim), "tensor 'x'", "shape must hold non-negative integers");

        Path fractional = craft("frac", "{" + entry("x", "F32", "[2]", 0, 8).replace("[0,8]", "[0,8.0]") + "}", 8);
        assertRefused(() -> SafeTensors.read(fractional), "tensor 'x'", "data_offsets");

        Path badMetadata = craft("meta", "{\"__metadata__\":{\"a\":1}," + entry("x", "F32", "[2]", 0, 8) + "}", 8);
        assertRefused(() -> SafeTensors.read(badMetadata), "__metadata__ entry 'a' must be a string", "byte 9");

        Path duplicate = craft("dup", "{" + entry("x", "F32", "[1]", 0, 4) + "," + entry("x", "F32", "[1]", 4, 8) + "}", 8);
        assertRefused(() -> SafeTensors.read(duplicate), "duplicate key \"x\"");
    }

    @Test
    void invalidJsonErrorNamesTheByteOffset() throws IOException {
        String header = "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],,";
        Path file = craft("offset", header, 0);
        assertRefused(() -> SafeTensors.read(file), "byte " + (8 + header.indexOf(",,") + 1));
    }

    @Test
    void refusesAHeaderThatIsNotUtf8() throws IOException {
        byte[] h = "{\"x\":{}}".getBytes(StandardCharsets.US_ASCII);
        h[2] = (byte) 0xff;
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
        Path file = dir.resolve("latin");
        Files.write(file, buf.array());
        assertRefused(() -> SafeTensors.read(file), file.toString(), "not valid UTF-8", "byte 10");
    }

    @Test
    void requireShapesNamesTheFirstMismatch() throws IOException {
        LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
        tensors.put("conv.weight", new TensorData(Shape.of(4, 1, 3, 3), rng.normal(36)));
        tensors.put("conv.bias", new TensorData(Shape.of(4), rng.normal(4)));
        Path file = dir.resolve("shapes.safetensors");
        SafeTensors.write(file, tensors, null);
        Contents c = SafeTensors.read(file);

        LinkedHashMap<String, Shape> expected = new LinkedHashMap<>();
        expected.put("conv.weight", Shape.of(4, 1, 3, 3));
        expected.put("conv.bias", Shape.of(4));
        c.requireShapes(expected);

        LinkedHashMap<String, Shape> wrongShape = new LinkedHashMap<>(expected);
        wrongShape.put("conv.bias", Shape.of(5));
        assertRefused(() -> c.requireShapes(wrongShape), file.toString(), "'conv.bias'", "[4]", "expected [5]");

        LinkedHashMap<String, Shape> missing = new LinkedHashMap<>(expected);
        missing.put("fc.weight", Shape.of(10, 4));
        assertRefused(() -> c.requireShapes(missing), "no tensor 'fc.weight'");

        LinkedHashMap<String, Shape> fewer = new LinkedHashMap<>(expected);
        fewer.remove("conv.bias");
        assertRefused(() -> c.requireShapes(fewer), "unexpected tensor 'conv.bias'");
    }
}
