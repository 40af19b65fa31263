package io.kernelnet.data;

import io.kernelnet.io.FileFormatException;

/**
 * The contents of one IDX file of unsigned bytes: its dimensions and its payload in row-major order.
 * {@code source} names where it came from (a path, or a classpath resource) for error messages, and
 * {@code gzipped} says whether byte offsets refer to the decompressed stream.
 */
public record IdxArray(String source, boolean gzipped, int[] dims, byte[] data) {
    /** Where the payload starts: 4 bytes of magic, then one 4-byte size per dimension. */
    public long payloadOffset() {
        return 4L + 4L * dims.length;
    }

    /** The first dimension: the number of examples. */
    public int count() {
        return dims[0];
    }

    /** Payload element {@code i} as the unsigned value it encodes. */
    public int unsigned(int i) {
        return data[i] & 0xff;
    }

    /** An error about this file at byte {@code offset}, worded like the reader's own. */
    public FileFormatException errorAt(long offset, String what) {
        return IdxReader.error(source, gzipped, offset, what);
    }
}
