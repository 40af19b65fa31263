package io.kernelnet.data;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.testing.TestRandom;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class IdxReaderTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @TempDir
    Path dir;

    private int[] randomDims() {
        int[] dims = new int[1 + rng.nextInt(3)];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = 1 + rng.nextInt(20);
        }
        return dims;
    }

    private static int product(int[] dims) {
        return Arrays.stream(dims).reduce(1, (a, b) -> a * b);
    }

    /** A valid raw IDX file as bytes. */
    private byte[] validFile(int[] dims, byte[] data) throws IOException {
        Path tmp = dir.resolve("valid-" + rng.nextInt(1 << 30));
        IdxWriter.write(tmp, dims, data, false);
        byte[] bytes = Files.readAllBytes(tmp);
        Files.delete(tmp);
        return bytes;
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    @Test
    void roundTripRawAndGzip() throws IOException {
        for (boolean gzip : new boolean[] {false, true}) {
            int[] dims = randomDims();
            byte[] data = rng.bytes(product(dims));
            Path file = dir.resolve("round-trip" + (gzip ? ".gz" : ""));
            IdxWriter.write(file, dims, data, gzip);
            IdxArray read = IdxReader.read(file);
            assertArrayEquals(dims, read.dims());
            assertArrayEquals(data, read.data());
            assertEquals(gzip, read.gzipped());
            assertEquals(file.toString(), read.source());
            assertEquals(4 + 4L * dims.length, read.payloadOffset());
            assertEquals(dims[0], read.count());
        }
    }

    @Test
    void rawLayoutIsBigEndianIdx() throws IOException {
        byte[] data = rng.bytes(2 * 3);
        byte[] file = validFile(new int[] {2, 3}, data);
        byte[] header = {0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3};
        assertArrayEquals(header, Arrays.copyOf(file, 12));
        assertArrayEquals(data, Arrays.copyOfRange(file, 12, file.length));
        assertEquals((data[4] & 0xff), IdxReader.read(new ByteArrayInputStream(file), "mem").unsigned(4));
    }

    @Test
    void gzipIsDetectedByMagicNotByName() throws IOException {
        int[] dims = randomDims();
        byte[] data = rng.bytes(product(dims));
        byte[] raw = validFile(dims, data);
        Path gzipWithoutSuffix = dir.resolve("compressed.idx");
        Files.write(gzipWithoutSuffix, gzip(raw));
        Path rawWithGzSuffix = dir.resolve("plain.gz");
        Files.write(rawWithGzSuffix, raw);
        IdxArray a = IdxReader.read(gzipWithoutSuffix);
        IdxArray b = IdxReader.read(rawWithGzSuffix);
        assertTrue(a.gzipped());
        assertFalse(b.gzipped());
        assertArrayEquals(data, a.data());
        assertArrayEquals(data, b.data());
    }

    /** Writes {@code content} raw or gzipped and returns the file. */
    private Path file(String name, byte[] content, boolean gzip) throws IOException {
        Path f = dir.resolve(name + (gzip ? ".gz" : ""));
        Files.write(f, gzip ? gzip(content) : content);
        return f;
    }

    @Test
    void truncatedPayloadIsRefusedWithFileAndOffset() throws IOException {
        for (boolean gzip : new boolean[] {false, true}) {
            int[] dims = {3 + rng.nextInt(10), 5};
            byte[] valid = validFile(dims, rng.bytes(product(dims)));
            int cut = 1 + rng.nextInt(product(dims));
            Path f = file("truncated", Arrays.copyOf(valid, valid.length - cut), gzip);
            assertRefused(() -> IdxReader.read(f), f.toString(), "byte " + (valid.length - cut), "truncated",
                    "need " + product(dims) + " payload bytes from byte 12", gzip ? "decompressed" : "");
        }
    }

    @Test
    void truncatedHeaderIsRefusedWithWhatWasExpected() throws IOException {
        byte[] valid = validFile(new int[] {4, 2, 2}, rng.bytes(16));
        Path f = file("short-header", Arrays.copyOf(valid, 10), false);
        assertRefused(() -> IdxReader.read(f), f.toString(), "byte 10", "size of dimension 1 of 3 at byte 8");
        Path empty = file("empty", new byte[0], false);
        assertRefused(() -> IdxReader.read(empty), empty.toString(), "byte 0", "magic");
    }

    @Test
    void truncatedGzipStreamIsRefused() throws IOException {
        byte[] gz = gzip(validFile(new int[] {50, 10}, rng.bytes(500)));
        Path f = dir.resolve("cut.gz");
        Files.write(f, Arrays.copyOf(gz, gz.length / 2));
        assertRefused(() -> IdxReader.read(f), f.toString(), "decompressed stream");
    }

    @Test
    void wrongMagicIsRefused() throws IOException {
        // each of the two zero bytes on its own, in plain and gzipped files
        for (boolean gzip : new boolean[] {false, true}) {
            for (int wrong = 0; wrong < 2; wrong++) {
                byte[] bytes = validFile(new int[] {3}, rng.bytes(3));
                bytes[wrong] = (byte) (1 + rng.nextInt(255));
                Path f = file("magic", bytes, gzip);
                assertRefused(() -> IdxReader.read(f), f.toString(), "byte 0", "bad magic number",
                        "expected bytes 00 00");
            }
        }
    }

    @Test
    void otherDataTypesAreRefused() throws IOException {
        for (int type : new int[] {0x09, 0x0B, 0x0C, 0x0D, 0x0E}) {
            byte[] bytes = validFile(new int[] {3}, rng.bytes(3));
            bytes[2] = (byte) type;
            Path f = file("type", bytes, false);
            assertRefused(() -> IdxReader.read(f), f.toString(), "byte 2", String.format("type 0x%02x", type),
                    "only 0x08 (unsigned byte)");
        }
    }

    @Test
    void trailingBytesAreRefused() throws IOException {
        for (boolean gzip : new boolean[] {false, true}) {
            byte[] valid = validFile(new int[] {7, 3}, rng.bytes(21));
            byte[] longer = Arrays.copyOf(valid, valid.length + 1 + rng.nextInt(5));
            Path f = file("trailing", longer, gzip);
            assertRefused(() -> IdxReader.read(f), f.toString(), "byte " + valid.length, "trailing bytes");
        }
    }

    @Test
    void zeroOrHugeDimensionsAreRefused() throws IOException {
        byte[] zeroRank = {0, 0, 0x08, 0};
        Path f0 = file("rank0", zeroRank, false);
        assertRefused(() -> IdxReader.read(f0), f0.toString(), "byte 3", "number of dimensions is 0");

        byte[] zeroSize = {0, 0, 0x08, 2, 0, 0, 0, 5, 0, 0, 0, 0};
        Path f1 = file("size0", zeroSize, false);
        assertRefused(() -> IdxReader.read(f1), f1.toString(), "byte 8", "dimension 1 has size 0");

        byte[] negative = {0, 0, 0x08, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        Path f2 = file("negative", negative, false);
        assertRefused(() -> IdxReader.read(f2), f2.toString(), "byte 4", "4294967295");

        byte[] huge = {0, 0, 0x08, 3, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0};
        Path f3 = file("huge", huge, false);
        assertRefused(() -> IdxReader.read(f3), f3.toString(), "byte 12", "more than " + IdxReader.MAX_PAYLOAD_BYTES);

        Path f4 = file("one-over", header((int) IdxReader.MAX_PAYLOAD_BYTES + 1), false);
        assertRefused(() -> IdxReader.read(f4), f4.toString(), "byte 4", "[1073741825] describe more than 1073741824");
    }

    /** Big-endian IDX header for unsigned bytes with these dimensions. */
    private static byte[] header(int... dims) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length).put(new byte[] {0, 0, 0x08, (byte) dims.length});
        for (int d : dims) {
            b.putInt(d);
        }
        return b.array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aHeaderClaiming2To40ElementsIsRefusedAtItsDimensions() throws IOException {
        byte[] bytes = concat(header(1 << 20, 1 << 20), new byte[16]);
        for (boolean gzip : new boolean[] {false, true}) {
            Path f = file("tera", bytes, gzip);
            assertRefused(() -> IdxReader.read(f), f.toString(), "byte 8", "[1048576, 1048576]",
                    "more than " + IdxReader.MAX_PAYLOAD_BYTES);
        }
        assertRefused(() -> IdxReader.read(new ByteArrayInputStream(bytes), "stream"), "stream: byte 8");
    }

    @Test
    void dimensionsWhoseProductOverflowsALongAreRefused() throws IOException {
        // 2^16 four times is 2^64, which wraps to 0 in a long: the product is checked after every dimension.
        Path f = file("wraps", header(1 << 16, 1 << 16, 1 << 16, 1 << 16), false);
        assertRefused(() -> IdxReader.read(f), f.toString(), "byte 8", "[65536, 65536]", "more than");
    }

    /** Exactly MAX_PAYLOAD_BYTES passes the size limit; the file's 10 bytes are what refuses it. */
    @Test
    void aRawHeaderClaimingMoreThanTheFileHoldsIsRefusedAtTheHeader() throws IOException {
        Path f = file("liar", concat(header((int) IdxReader.MAX_PAYLOAD_BYTES), new byte[10]), false);
        assertRefused(() -> IdxReader.read(f), f.toString(), "byte 18",
                "need 1073741824 payload bytes from byte 8 to 1073741832, but the data ends after 10");
    }

    /** From a source of known length, a header claiming more than the rest is refused before the payload is read. */
    @Test
    void aRawHeaderClaimingMoreThanTheLengthIsRefusedWithoutReadingThePayload() {
        byte[] head = header(1 << 20);
        InputStream payload = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("the payload was read although the length refuses the header");
            }
        };
        InputStream in = new SequenceInputStream(new ByteArrayInputStream(head), payload);
        long length = head.length + (1 << 20) - 1;
        assertRefused(() -> IdxReader.read(in, length, "short"), "short: byte " + length + ": ",
                "need 1048576 payload bytes from byte 8 to 1048584, but the data ends after 1048575");
    }

    @Test
    void aGzipHeaderClaimingMoreThanDeflateCanExpandToIsRefusedAtTheHeader() throws IOException {
        Path f = file("liar", concat(header(1 << 29), new byte[10]), true);
        long compressed = Files.size(f);
        assertRefused(() -> IdxReader.read(f), f.toString(), "byte 8 of the decompressed stream",
                "need 536870912 payload bytes", "the " + compressed + "-byte gzip file", "1032:1");
    }

    /** Gzip with stored (uncompressed) blocks: its size does not depend on the bytes, only on their count. */
    private static byte[] gzipStored(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out) {
            {
                def.setLevel(Deflater.NO_COMPRESSION);
            }
        }) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    /**
     * Deflate's largest expansion, 1032:1, bounds what a gzip file's header may claim: a claim of exactly 1032
     * times the file's size goes on to the data (and is then refused as truncated, since no gzip file gets there),
     * one byte more is refused from the header.
     */
    @ParameterizedTest
    @CsvSource({"0, truncated: dimensions", "1, gzip file can expand to (deflate expands at most 1032:1)"})
    void aGzipHeaderMayClaimUpToDeflatesLargestExpansion(int over, String refusal) throws IOException {
        byte[] payload = rng.bytes(3);
        long size = gzipStored(concat(header(1), payload)).length;
        Path f = dir.resolve("bound.gz");
        Files.write(f, gzipStored(concat(header((int) (1032 * size) - 8 + over), payload)));
        assertEquals(size, Files.size(f));
        assertRefused(() -> IdxReader.read(f), f.toString(), "of the decompressed stream", refusal);
    }

    @Test
    void writerRefusesInconsistentArguments() {
        assertRefused(() -> IdxWriter.write(dir.resolve("w"), new int[] {2, 3}, new byte[5], false), "[2, 3]", "6", "5");
        assertRefused(() -> IdxWriter.write(dir.resolve("w"), new int[] {0}, new byte[0], false), "positive");
        assertRefused(() -> IdxWriter.write(dir.resolve("w"), new int[0], new byte[1], false), "1 to 255 dimensions");
    }
}
