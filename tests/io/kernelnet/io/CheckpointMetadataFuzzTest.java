package io.kernelnet.io;

import static io.kernelnet.testing.FormatFuzzing.readsOrRefuses;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint's metadata (the strings of safetensors' {@code __metadata__}) rebuilt into a compiled model:
 * whatever the strings hold, it succeeds or refuses with a FileFormatException. An input is the three JSON
 * strings "architecture", "compile" and "training" separated by NUL bytes (which JSON text cannot hold), so
 * that the fuzzer mutates the JSON itself rather than its escaped form inside a JSON string. Seeds and past
 * findings: {@code CheckpointMetadataFuzzTestInputs/restore/}.
 */
class CheckpointMetadataFuzzTest {
    private static final String SOURCE = "fuzzed.safetensors";
    private static final String[] FIELDS = {"architecture", "compile", "training"};

    @FuzzTest
    void restore(byte[] bytes) throws Exception {
        String[] values = new String(bytes, StandardCharsets.UTF_8).split("\0", -1);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", Checkpoints.FORMAT);
        for (int i = 0; i < Math.min(values.length, FIELDS.length); i++) {
            metadata.put(FIELDS[i], values[i]);
        }
        readsOrRefuses(SOURCE, () -> Checkpoints.restore(SOURCE, metadata, false));
    }
}
