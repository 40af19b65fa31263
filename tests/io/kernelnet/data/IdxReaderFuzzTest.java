package io.kernelnet.data;

import static io.kernelnet.testing.FormatFuzzing.readsOrRefuses;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.io.TempDir;

/**
 * IdxReader on arbitrary bytes: it returns an array as large as its dimensions say, or refuses the file with a
 * FileFormatException. Seeds and past findings: {@code IdxReaderFuzzTestInputs/<method>/}.
 */
class IdxReaderFuzzTest {
    @TempDir
    static Path dir;

    /** Any bytes as a file: raw IDX, and corrupt gzip whenever they start with 1f 8b. */
    @FuzzTest
    void rawFile(byte[] bytes) throws Exception {
        readFile(bytes);
    }

    /** Any bytes gzipped: reaches the decompressed-stream path, which raw bytes rarely make valid gzip for. */
    @FuzzTest
    void gzipFile(byte[] bytes) throws Exception {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(bytes);
        }
        readFile(gz.toByteArray());
    }

    private static void readFile(byte[] bytes) throws Exception {
        Path file = dir.resolve("input.idx");
        Files.write(file, bytes);
        Optional<IdxArray> read = readsOrRefuses(file.toString(), () -> IdxReader.read(file));
        read.ifPresent(a -> assertEquals(Arrays.stream(a.dims()).asLongStream().reduce(1, (x, y) -> x * y),
                a.data().length, "payload size is the product of the dimensions"));
    }
}
