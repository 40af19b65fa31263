package io.kernelnet.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parser's bounds on hostile text (jackson-core's StreamReadConstraints, set in Json) and its refusals of
 * truncated text, each a {@link Json.ParseException} at the character where the text went wrong; in a safetensors
 * header, a {@link FileFormatException} naming the file and the byte offset.
 */
class JsonLimitsTest {
    @TempDir
    Path dir;

    private static Json.ParseException refused(String text, String mention) {
        Json.ParseException e = assertThrows(Json.ParseException.class, () -> Json.parse(text));
        assertEquals(true, e.getMessage().contains(mention), e.getMessage() + " should mention " + mention);
        return e;
    }

    @Test
    void truncatedAndMisspeltTextIsRefusedWhereItStops() {
        assertEquals(2, refused("[1", "end-of-input").position());
        assertEquals(5, refused("{\"a\":trux}", "'trux'").position());
        assertEquals(4, refused("\"abc", "end-of-input").position());
        assertEquals(0, refused("", "expected a value, found end of input").position());
        assertEquals(0, refused("tru", "'tru'").position());
        assertEquals(0, refused("]", "no open Array").position());
        assertEquals(4, refused("[1] 2", "expected end of input after the value").position());
        assertEquals(4, refused("[1] ]", "no open Array").position());
        assertEquals(3, refused("[1,", "end-of-input").position());
        refused("[1", "expected close marker for Array");
    }

    @Test
    void nestingIsBoundedAt512Levels() {
        String deepest = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertEquals(deepest, Json.write(Json.parse(deepest)));
        refused("[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1), "nesting deeper than 512 levels");
        refused("[".repeat(10_000), "nesting deeper than 512 levels");
        refused("{\"a\":".repeat(10_000), "nesting deeper than 512 levels");
    }

    @Test
    void numbersAndStringsAreBoundedInLength() {
        String longest = "0." + "1".repeat(Json.MAX_NUMBER_CHARS - 2);
        assertEquals(Double.parseDouble(longest), Json.parse(longest));
        refused("1".repeat(Json.MAX_NUMBER_CHARS + 1), "Number value length");
        String text = "a".repeat(Json.MAX_STRING_CHARS);
        assertEquals(text, Json.parse("\"" + text + "\""));
        refused("\"" + text + "a\"", "String value length");
        refused("{\"" + text + "a\":1}", "length (" + (Json.MAX_STRING_CHARS + 1) + ") exceeds");
    }

    @Test
    void documentsAreBoundedInLength() {
        String padded = "1" + " ".repeat((int) Json.MAX_DOCUMENT_CHARS);
        refused(padded, "Document length");
    }

    @Test
    void aTruncatedSafetensorsHeaderNamesTheFileAndTheByteOffset() throws Exception {
        for (String header : List.of("[1", "{\"a\":trux}", "[".repeat(10_000))) {
            byte[] json = header.getBytes(StandardCharsets.UTF_8);
            ByteBuffer file = ByteBuffer.allocate(8 + json.length).order(ByteOrder.LITTLE_ENDIAN);
            file.putLong(json.length).put(json);
            Path path = Files.write(dir.resolve("bad.safetensors"), file.array());
            FileFormatException e = assertThrows(FileFormatException.class, () -> SafeTensors.read(path));
            assertEquals(path.toString(), e.source());
            int position = assertThrows(Json.ParseException.class, () -> Json.parse(header)).position();
            assertEquals(8 + position, e.offset(), "the header is ASCII: " + e.getMessage());
        }
    }

    @Test
    void topLevelKeysAreFoundWhereTheyStart() {
        assertEquals(Map.of("a", 1, "b", 15), Json.topLevelKeyPositions("{\"a\":{\"b\":[1]},\"b\":2}"));
    }
}
