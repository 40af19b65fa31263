package io.kernelnet.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Json.parse on arbitrary text: a value or a Json.ParseException, never another exception or a stack overflow;
 * what it parses writes back to text that parses to the same value. Seeds and past findings:
 * {@code JsonFuzzTestInputs/parse/}.
 */
class JsonFuzzTest {
    @FuzzTest
    void parse(byte[] bytes) {
        Object value;
        try {
            value = Json.parse(new String(bytes, StandardCharsets.UTF_8));
        } catch (Json.ParseException refused) {
            return;
        }
        assertEquals(value, Json.parse(Json.write(value)), "write then parse changes the value");
    }
}
