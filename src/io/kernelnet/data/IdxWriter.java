package io.kernelnet.data;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/** Writes IDX files of unsigned bytes (the format {@link IdxReader} reads), raw or gzip-compressed. */
public final class IdxWriter {
    private IdxWriter() {
    }

    public static void write(Path file, int[] dims, byte[] data, boolean gzip) throws IOException {
        if (dims.length == 0 || dims.length > 255) {
            throw new IllegalArgumentException("IDX needs 1 to 255 dimensions, got " + dims.length);
        }
        long elements = 1;
        for (int d : dims) {
            if (d <= 0) {
                throw new IllegalArgumentException("IDX dimensions must be positive, got " + Arrays.toString(dims));
            }
            elements *= d;
        }
        if (elements != data.length) {
            throw new IllegalArgumentException("IDX dimensions " + Arrays.toString(dims) + " need " + elements
                    + " bytes, got " + data.length);
        }
        try (OutputStream raw = Files.newOutputStream(file);
                OutputStream out = new BufferedOutputStream(gzip ? new GZIPOutputStream(raw) : raw)) {
            out.write(new byte[] {0, 0, 0x08, (byte) dims.length});
            for (int d : dims) {
                out.write(new byte[] {(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
            }
            out.write(data);
        }
    }
}
