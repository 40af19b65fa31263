package io.kernelnet.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;

/**
 * A strict JSON (RFC 8259) reader on jackson-core's tokenizer, and a writer.
 *
 * <p>Parsed values are {@code Map<String, Object>} (insertion-ordered, unmodifiable; duplicate keys refused),
 * {@code List<Object>} (unmodifiable), {@code String}, {@code Long} (integer literals that fit in a long),
 * {@code Double} (every other number), {@code Boolean} and {@code null}. Nothing beyond the standard is accepted:
 * no comments, trailing commas, single quotes, leading zeros, NaN or unescaped control characters (jackson-core's
 * defaults). Hostile input is bounded by the tokenizer's limits: nesting depth, string, number and document length.
 *
 * <p>The writer takes the same kinds of values (any {@code Map} with string keys, any {@code Iterable}, any
 * {@code Number}, {@code float[]}, {@code double[]}, {@code int[]}, {@code long[]}) and writes compact JSON;
 * non-finite numbers are refused since JSON cannot represent them. It stays hand-written: a float is written as
 * {@code Float.toString} writes it (checkpoint metadata keeps its bytes), which is a few lines here.
 */
public final class Json {
    /** Deeper nesting than this is refused rather than risking a stack overflow on hostile input. */
    static final int MAX_DEPTH = 512;
    /** The longest text parsed: a safetensors header's limit ({@link SafeTensors#MAX_HEADER_BYTES}). */
    static final long MAX_DOCUMENT_CHARS = SafeTensors.MAX_HEADER_BYTES;
    /** The longest string: names and metadata values are far shorter. */
    static final int MAX_STRING_CHARS = 10_000_000;
    /** The longest number literal: a double needs at most 24 characters. */
    static final int MAX_NUMBER_CHARS = 1000;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)
                    .maxDocumentLength(MAX_DOCUMENT_CHARS)
                    .maxStringLength(MAX_STRING_CHARS)
                    .maxNameLength(MAX_STRING_CHARS)
                    .maxNumberLength(MAX_NUMBER_CHARS)
                    .build())
            .build();

    private Json() {
    }

    /** A syntax error; {@link #position()} is the index of the offending character in the parsed text. */
    public static final class ParseException extends IllegalArgumentException {
        private final int position;

        ParseException(int position, String message) {
            super("invalid JSON at character " + position + ": " + message);
            this.position = position;
        }

        public int position() {
            return position;
        }
    }

    /** Parses one complete JSON value; anything but whitespace after it is refused. */
    public static Object parse(String text) {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), text)) {
            try {
                if (p.nextToken() == null) {
                    throw new ParseException(text.length(), "expected a value, found end of input");
                }
                Object value = value(p);
                if (p.nextToken() != null) {
                    throw new ParseException(start(p), "expected end of input after the value, found " + p.getString());
                }
                return value;
            } catch (JacksonException e) {
                throw refusal(p, e);
            }
        }
    }

    /**
     * The character index of each key of {@code text}'s top-level object, in order, for error messages that point
     * at one entry; {@code text} is refused as {@link #parse} refuses it.
     */
    static Map<String, Integer> topLevelKeyPositions(String text) {
        Map<String, Integer> positions = new LinkedHashMap<>();
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), text)) {
            try {
                if (p.nextToken() == JsonToken.START_OBJECT) {
                    while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                        positions.put(p.currentName(), start(p));
                        p.nextToken();
                        p.skipChildren();
                    }
                }
            } catch (JacksonException e) {
                throw refusal(p, e);
            }
        }
        return positions;
    }

    /** jackson-core's refusal as a ParseException at its location, or where the parser stopped when it has none. */
    private static ParseException refusal(JsonParser p, JacksonException e) {
        TokenStreamLocation where = e.getLocation();
        if (where == null || where.getCharOffset() < 0) { // a limit's refusal (StreamConstraintsException) has none
            where = p.currentLocation();
        }
        String what = e instanceof StreamConstraintsException && e.getOriginalMessage().contains("nesting depth")
                ? "nesting deeper than " + MAX_DEPTH + " levels" : message(e);
        return new ParseException((int) where.getCharOffset(), what);
    }

    /** The current token's first character. */
    private static int start(JsonParser p) {
        return (int) p.currentTokenLocation().getCharOffset();
    }

    /** jackson-core's message without its trailer about where a container started (that names no source here). */
    private static String message(JacksonException e) {
        String m = e.getOriginalMessage();
        int trailer = m.indexOf(" (start marker at");
        return trailer < 0 ? m : m.substring(0, trailer);
    }

    /** The value whose first token is current; leaves its last token current. */
    private static Object value(JsonParser p) {
        return switch (p.currentToken()) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> array(p);
            case VALUE_STRING -> p.getString();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                // beyond the range of a long: a double, like other readers do
                case BIG_INTEGER -> finite(p);
                default -> p.getLongValue();
            };
            case VALUE_NUMBER_FLOAT -> finite(p);
            default -> throw new ParseException(start(p), "expected a value, found " + p.currentToken());
        };
    }

    private static Double finite(JsonParser p) {
        double v = p.getDoubleValue();
        if (Double.isInfinite(v)) {
            throw new ParseException(start(p), "number " + p.getString() + " is out of range");
        }
        return v;
    }

    private static Map<String, Object> object(JsonParser p) {
        Map<String, Object> map = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.PROPERTY_NAME) {
            String key = p.currentName();
            if (map.containsKey(key)) {
                throw new ParseException(start(p), "duplicate key \"" + key + "\"");
            }
            p.nextToken();
            map.put(key, value(p));
        }
        return Collections.unmodifiableMap(map);
    }

    private static List<Object> array(JsonParser p) {
        List<Object> list = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            list.add(value(p));
        }
        return Collections.unmodifiableList(list);
    }

    /** Compact JSON text for {@code value}. */
    public static String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    /** Appends the compact JSON text for {@code value} to {@code sb}. */
    public static void write(StringBuilder sb, Object value) {
        if (value == null) {
            sb.append("null");
        } else if (value instanceof String s) {
            writeString(sb, s);
        } else if (value instanceof Boolean b) {
            sb.append(b.booleanValue());
        } else if (value instanceof Float f) {
            writeFloating(sb, f);
        } else if (value instanceof Double d) {
            writeFloating(sb, d);
        } else if (value instanceof Number n) {
            // Long, Integer, Short, Byte, BigInteger, BigDecimal, ...: their toString is a valid JSON number when
            // finite.
            sb.append(n);
        } else if (value instanceof Map<?, ?> map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("JSON object keys must be strings, got " + e.getKey());
                }
                if (!first) {
                    sb.append(',');
                }
                first = false;
                writeString(sb, key);
                sb.append(':');
                write(sb, e.getValue());
            }
            sb.append('}');
        } else if (value instanceof Iterable<?> list) {
            sb.append('[');
            boolean first = true;
            for (Object item : list) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                write(sb, item);
            }
            sb.append(']');
        } else if (value instanceof float[] a) {
            writeArray(sb, a.length, i -> writeFloating(sb, a[i]));
        } else if (value instanceof double[] a) {
            writeArray(sb, a.length, i -> writeFloating(sb, a[i]));
        } else if (value instanceof int[] a) {
            writeArray(sb, a.length, i -> sb.append(a[i]));
        } else if (value instanceof long[] a) {
            writeArray(sb, a.length, i -> sb.append(a[i]));
        } else {
            throw new IllegalArgumentException("cannot write a " + value.getClass().getName() + " as JSON");
        }
    }

    /** A primitive array of {@code length} items, each written by {@code writeItem}. */
    private static void writeArray(StringBuilder sb, int length, IntConsumer writeItem) {
        sb.append('[');
        for (int i = 0; i < length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            writeItem.accept(i);
        }
        sb.append(']');
    }

    // Float/Double.toString give the shortest text that reads back to the same value, and their
    // forms ("1.0", "1.0E-5") are valid JSON numbers; a float is not widened first (0.1f stays "0.1").
    private static void writeFloating(StringBuilder sb, float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("JSON cannot represent the number " + v);
        }
        sb.append(Float.toString(v));
    }

    private static void writeFloating(StringBuilder sb, double v) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException("JSON cannot represent the number " + v);
        }
        sb.append(Double.toString(v));
    }

    private static void writeString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
