package io.kernelnet.io;

import static io.kernelnet.testing.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.testing.TestRandom;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class JsonTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5, 3e2, -0, 1E-3, 12345678901234567890], \"b\": {\"c\": true, \"d\": false,"
                + " \"e\": null}, \"s\": \"q\\\"b\\\\s\\/n\\n\\t\\r\\b\\f\\u00e9\\ud83d\\ude00\"}\r\n\t");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "s"), new ArrayList<>(m.keySet()));
        assertEquals(List.of(1L, -2.5, 300.0, 0L, 0.001, 12345678901234567890.0), m.get("a"));
        Map<?, ?> b = (Map<?, ?>) m.get("b");
        assertEquals(Boolean.TRUE, b.get("c"));
        assertEquals(Boolean.FALSE, b.get("d"));
        assertNull(b.get("e"));
        assertEquals(3, b.size());
        assertEquals("q\"b\\s/n\n\t\r\b\f\u00e9\ud83d\ude00", m.get("s"));
        assertEquals(List.of(), Json.parse("[]"));
        assertEquals(Map.of(), Json.parse("{ }"));
        assertEquals("", Json.parse("\"\""));
    }

    @Test
    void writeThenParseGivesBackRandomNestedValues() {
        for (int trial = 0; trial < 50; trial++) {
            Object value = randomValue(3);
            String text = Json.write(value);
            assertEquals(value, Json.parse(text), text);
        }
    }

    private Object randomValue(int depth) {
        switch (rng.nextInt(depth > 0 ? 7 : 5)) {
            case 0:
                return randomString();
            case 1:
                return rng.random().nextLong();
            case 2:
                return rng.random().nextGaussian() * Math.pow(10, rng.nextInt(40) - 20);
            case 3:
                return rng.random().nextBoolean();
            case 4:
                return null;
            case 5: {
                List<Object> list = new ArrayList<>();
                for (int i = rng.nextInt(5); i > 0; i--) {
                    list.add(randomValue(depth - 1));
                }
                return list;
            }
            default: {
                Map<String, Object> map = new LinkedHashMap<>();
                for (int i = rng.nextInt(5); i > 0; i--) {
                    map.put(randomString(), randomValue(depth - 1));
                }
                return map;
            }
        }
    }

    /** Mostly awkward characters: quotes, backslashes, controls, non-ASCII, a surrogate pair. */
    private String randomString() {
        String[] pieces = {"a", "Z", "\"", "\\", "/", "\n", "\t", "\u0000", "\u001f", "\u00e9", "\u4e2d", "\ud83d\ude00", " ", "{", "]", ":", ","};
        StringBuilder sb = new StringBuilder();
        for (int i = rng.nextInt(8); i > 0; i--) {
            sb.append(pieces[rng.nextInt(pieces.length)]);
        }
        return sb.toString();
    }

    @Test
    void writesFloatsShortestAndEscapesControlCharacters() {
        assertEquals("[0.1,1.0E-5,-2.5]", Json.write(new float[] {0.1f, 1e-5f, -2.5f}));
        assertEquals("[0.1,3,7]", Json.write(List.of(0.1, 3, 7L)));
        assertEquals("{\"k\":\"a\\u0001\\n\\\"\"}", Json.write(Map.of("k", "a\u0001\n\"")));
        assertEquals(0.1f, ((Double) Json.parse(Json.write(0.1f))).floatValue());
    }

    @Test
    void writesEveryKindOfValueTheWriterTakes() {
        assertEquals("[[0.25,-1.0E10],[1,-2],[3,-4],[],{}]", Json.write(List.of(new double[] {0.25, -1e10},
                new int[] {1, -2}, new long[] {3, -4}, new float[0], Map.of())));
        assertEquals("[1,2,3,4,5.50,null,true,false]", Json.write(Arrays.asList((short) 1, (byte) 2, 3, 4L,
                new BigDecimal("5.50"), null, true, false)));
        Map<String, Object> ordered = new LinkedHashMap<>();
        ordered.put("b", 1);
        ordered.put("a", List.of());
        assertEquals("{\"b\":1,\"a\":[]}", Json.write(ordered));
        assertEquals("\"\\r\\t\\b\\f\\\\\\u001f /\"", Json.write("\r\t\b\f\\\u001f /"));
    }

    @Test
    void writerRefusesWhatJsonCannotHold() {
        assertRefused(() -> Json.write(Double.NaN), "NaN");
        assertRefused(() -> Json.write(List.of(Float.POSITIVE_INFINITY)), "Infinity");
        assertRefused(() -> Json.write(Map.of(1, "x")), "keys must be strings");
        assertRefused(() -> Json.write(new Object()), "java.lang.Object");
    }

    @Test
    void refusesEverythingOutsideTheStandard() {
        String[] bad = {"", " ", "{", "[1,]", "{\"a\":1,}", "01", "-01", "1.", ".5", "-", "1e", "1e+", "tru", "nul",
            "'a'", "\"\t\"", "\"abc", "\"\\x\"", "\"\\u12g4\"", "\"\\u12\"", "{\"a\":1}x", "[1 2]", "{\"a\" 1}",
            "{a:1}", "NaN", "Infinity", "+1", "[1,,2]", "/*c*/1", "1e999", "\u00a01",
            // truncated anywhere, and words that only start like a literal
            "[", "[1", "[1,", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "\"\\", "\"\\u00e", "-1.5e",
            "{\"a\":trux}", "[fals]", "[nulL]", "truE", "[true false]"};
        for (String text : bad) {
            assertThrows(Json.ParseException.class, () -> Json.parse(text), () -> "should refuse: " + text);
        }
    }

    @Test
    void refusalsSayWhere() {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse("[1, x]"));
        assertEquals(4, e.position());
        e = assertThrows(Json.ParseException.class, () -> Json.parse("{\"a\":1, \"a\":2}"));
        assertEquals(8, e.position());
        assertRefused(() -> Json.parse("{\"a\":1, \"a\":2}"), "duplicate key \"a\"", "character 8");
    }

    @Test
    void refusesHostileNestingWithoutOverflowingTheStack() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertRefused(() -> Json.parse(deep), "nesting deeper than");
        String ok = "[".repeat(500) + "]".repeat(500);
        assertEquals(ok, Json.write(Json.parse(ok)));
        String deepObjects = "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000);
        assertThrows(Json.ParseException.class, () -> Json.parse(deepObjects));
        String okObjects = "{\"a\":".repeat(500) + "1" + "}".repeat(500);
        assertEquals(okObjects, Json.write(Json.parse(okObjects)));
    }
}
