package io.kernelnet.data;

import io.kernelnet.io.FileFormatException;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads IDX files (the MNIST format) holding unsigned bytes, raw or gzip-compressed; gzip is recognised by its
 * magic bytes 1f 8b, not by the file name.
 *
 * <p>Format: two zero bytes, a type byte (0x08 = unsigned byte, the only type accepted here), the number of
 * dimensions, one big-endian 4-byte size per dimension, then exactly the product of the sizes in payload bytes.
 * Anything else is refused with a {@link FileFormatException} naming the source, the byte offset (in the
 * decompressed stream for gzip) and what was expected there; no other exception comes out of bad content.
 *
 * <p>A header is checked against the data before the payload is allocated: from a file, the claimed payload
 * must fit in the bytes the file has (raw) or could expand to (gzip); from a stream of unknown length, the
 * payload buffer grows only with the bytes actually read.
 */
public final class IdxReader {
    /** Far above MNIST's 47 million bytes; a larger claimed payload is a corrupt header, not a data set. */
    public static final long MAX_PAYLOAD_BYTES = 1L << 30;
    private static final int TYPE_UNSIGNED_BYTE = 0x08;
    /** Deflate's largest expansion (a 258-byte match in under 2 bits); gzip framing only lowers it. */
    private static final long DEFLATE_MAX_RATIO = 1032;
    private static final long UNKNOWN_LENGTH = -1;

    private IdxReader() {
    }

    public static IdxArray read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, Files.size(file), file.toString());
        }
    }

    /** Reads one IDX file from {@code in} (not closed); {@code source} names it in error messages. */
    public static IdxArray read(InputStream in, String source) throws IOException {
        return read(in, UNKNOWN_LENGTH, source);
    }

    /**
     * Reads one IDX file from {@code in} (not closed); {@code length}: the bytes {@code in} holds (a file's size,
     * compressed for gzip), or UNKNOWN_LENGTH. Package-private so that tests can check what is read before a
     * refusal.
     */
    static IdxArray read(InputStream in, long length, String source) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in);
        buffered.mark(2);
        boolean gzipped = buffered.read() == 0x1f && buffered.read() == 0x8b;
        buffered.reset();
        CountingStream counted;
        try {
            counted = new CountingStream(gzipped ? new GZIPInputStream(buffered) : buffered);
        } catch (ZipException | EOFException e) {
            throw error(source, false, 0, "corrupt gzip header (" + e.getMessage() + ")");
        }
        try {
            return parse(counted, source, gzipped, length);
        } catch (ZipException | EOFException e) {
            throw error(source, gzipped, counted.count, "corrupt or truncated gzip stream (" + e.getMessage() + ")");
        }
    }

    /** {@code length}: the bytes of the file as stored (compressed for gzip), or UNKNOWN_LENGTH. */
    private static IdxArray parse(CountingStream in, String source, boolean gzipped, long length)
            throws IOException {
        byte[] magic = readExactly(in, source, gzipped, 4, "the 4-byte magic number 00 00 08 <dimensions>");
        if (magic[0] != 0 || magic[1] != 0) {
            throw error(source, gzipped, 0, String.format(
                    "bad magic number: expected bytes 00 00, found %02x %02x (not an IDX file)", magic[0], magic[1]));
        }
        if ((magic[2] & 0xff) != TYPE_UNSIGNED_BYTE) {
            throw error(source, gzipped, 2, String.format(
                    "unsupported data type 0x%02x: only 0x08 (unsigned byte) is supported", magic[2] & 0xff));
        }
        int rank = magic[3] & 0xff;
        if (rank == 0) {
            throw error(source, gzipped, 3, "number of dimensions is 0: expected at least 1");
        }
        int[] dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++) {
            long offset = in.count;
            byte[] b = readExactly(in, source, gzipped, 4, "the 4-byte size of dimension " + i + " of " + rank);
            dims[i] = (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
            if (dims[i] <= 0) {
                throw error(source, gzipped, offset, "dimension " + i + " has size " + Integer.toUnsignedString(dims[i])
                        + ": expected a positive size below 2^31");
            }
            elements *= dims[i];
            if (elements > MAX_PAYLOAD_BYTES) {
                throw error(source, gzipped, offset, "dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + " describe more than " + MAX_PAYLOAD_BYTES + " bytes");
            }
        }
        long payloadStart = in.count;
        if (!gzipped && length != UNKNOWN_LENGTH && payloadStart + elements > length) {
            throw truncated(source, false, length, dims, payloadStart, elements, length - payloadStart);
        }
        if (gzipped && length != UNKNOWN_LENGTH && payloadStart + elements > DEFLATE_MAX_RATIO * length) {
            throw error(source, true, payloadStart, "dimensions " + Arrays.toString(dims) + " need " + elements
                    + " payload bytes, more than the " + length + "-byte gzip file can expand to (deflate expands at most "
                    + DEFLATE_MAX_RATIO + ":1)");
        }
        // readNBytes grows its buffer with the bytes actually read, so a lying header on a stream of unknown
        // length costs no more memory than the data that is there.
        byte[] data = in.readNBytes((int) elements);
        if (data.length < elements) {
            throw truncated(source, gzipped, in.count, dims, payloadStart, elements, data.length);
        }
        if (in.read() != -1) {
            throw error(source, gzipped, payloadStart + elements, "trailing bytes: expected the end of the file after "
                    + elements + " payload bytes for dimensions " + Arrays.toString(dims));
        }
        return new IdxArray(source, gzipped, dims, data);
    }

    private static byte[] readExactly(CountingStream in, String source, boolean gzipped, int n, String expected)
            throws IOException {
        long offset = in.count;
        byte[] b = in.readNBytes(n);
        if (b.length < n) {
            throw error(source, gzipped, offset + b.length, "truncated: expected " + expected + " at byte " + offset);
        }
        return b;
    }

    private static FileFormatException truncated(String source, boolean gzipped, long offset, int[] dims,
            long payloadStart, long elements, long available) {
        return error(source, gzipped, offset, "truncated: dimensions " + Arrays.toString(dims) + " need "
                + elements + " payload bytes from byte " + payloadStart + " to " + (payloadStart + elements)
                + ", but the data ends after " + available);
    }

    static FileFormatException error(String source, boolean gzipped, long offset, String what) {
        return new FileFormatException(source, offset, source + ": byte " + offset
                + (gzipped ? " of the decompressed stream" : "") + ": " + what);
    }

    /** Counts the bytes read, so that errors can name the offset in the (decompressed) stream. */
    private static final class CountingStream extends FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
