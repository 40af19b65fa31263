package io.kernelnet.io;

import static io.kernelnet.testing.FormatFuzzing.readsOrRefuses;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * SafeTensors.read on arbitrary bytes: it returns the tensors (each TensorData checks its values against its
 * shape) or refuses the file with a FileFormatException. Seeds and past findings:
 * {@code SafeTensorsFuzzTestInputs/read/}.
 */
class SafeTensorsFuzzTest {
    @TempDir
    static Path dir;

    @FuzzTest
    void read(byte[] bytes) throws Exception {
        Path file = dir.resolve("input.safetensors");
        Files.write(file, bytes);
        readsOrRefuses(file.toString(), () -> SafeTensors.read(file));
    }
}
