package io.kernelnet.io;

import static io.kernelnet.testing.FormatFuzzing.readsOrRefuses;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A checkpoint's metadata (the strings of safetensors' {@code __metadata__}) rebuilt into a compiled model:
 * whatever the strings hold, it succeeds or refuses with a FileFormatException. The input is the metadata as a
 * JSON object, so that the seed is a real checkpoint's; inputs that are not an object of strings are skipped,
 * SafeTensorsFuzzTest covers those. Seeds and past findings: {@code CheckpointMetadataFuzzTestInputs/restore/}.
 */
class CheckpointMetadataFuzzTest {
    private static final String SOURCE = "fuzzed.safetensors";

    @FuzzTest
    void restore(byte[] bytes) throws Exception {
        Map<String, String> metadata = stringObject(new String(bytes, StandardCharsets.UTF_8));
        if (metadata != null) {
            readsOrRefuses(SOURCE, () -> Checkpoints.restore(SOURCE, metadata));
        }
    }

    /** The text as a JSON object of strings, or null when it is not one. */
    private static Map<String, String> stringObject(String text) {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.ParseException notJson) {
            return null;
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            return null;
        }
        Map<String, String> strings = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String value)) {
                return null;
            }
            strings.put((String) e.getKey(), value);
        }
        return strings;
    }
}
