package io.kernelnet.io;

import io.kernelnet.tensor.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CoderResult;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints in the safetensors format (https://github.com/huggingface/safetensors): written in float32; read from
 * float32 or bfloat16 (the top half of a float32's bits, widened exactly), either way as float32.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON mapping each tensor name to
 * {@code {"dtype":"F32","shape":[...],"data_offsets":[begin,end]}} (offsets relative to the data section), plus an
 * optional {@code "__metadata__"} object of string to string; then the data section: little-endian values (F32, or
 * BF16 when read), the tensors contiguous in the order written. The header is padded with spaces to a multiple of 8 bytes, as the
 * reference implementation does, so the data section starts aligned.
 *
 * <p>Writing goes to a temporary file in the same directory, is forced to disk and then atomically renamed over
 * the target, so a crash never leaves a half-written checkpoint under the real name (see {@link #write}). Reading
 * validates the whole header against the file size before reading any data, so that no header can make it
 * allocate more than the file holds; a corrupt file is refused with a {@link FileFormatException} naming the
 * file, the tensor and the byte offset, and bad content raises no other exception.
 */
public final class SafeTensors {
    private static final Logger log = LoggerFactory.getLogger(SafeTensors.class);

    /** The reference implementation's limit; a larger header is refused before anything is allocated. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    public static final String METADATA_KEY = "__metadata__";
    private static final String F32 = "F32";
    private static final String BF16 = "BF16";
    private static final int PREFIX_BYTES = 8;
    private static final int IO_CHUNK_BYTES = 1 << 16;
    /** {@link #longs}: an array of any length (a shape). */
    private static final int ANY_LENGTH = -1;

    private SafeTensors() {
    }

    /** One float32 tensor: its shape and its values in row-major order. */
    public record TensorData(Shape shape, float[] data) {
        public TensorData {
            if (shape.size() != data.length) {
                throw new IllegalArgumentException("tensor shape " + shape + " has " + shape.size()
                        + " elements but " + data.length + " values were given");
            }
        }
    }

    /**
     * What a checkpoint file holds: tensors in the order of the file's header, and the metadata (empty when the
     * file has none). Both maps are unmodifiable.
     */
    public record Contents(Path file, Map<String, TensorData> tensors, Map<String, String> metadata) {
        /**
         * Refuses this checkpoint unless it holds exactly the {@code expected} tensors with exactly their shapes,
         * naming the first mismatch: a missing tensor (in the expected order), a shape that differs, or a tensor
         * that is not expected.
         */
        public void requireShapes(Map<String, Shape> expected) {
            for (Map.Entry<String, Shape> e : expected.entrySet()) {
                TensorData t = tensors.get(e.getKey());
                if (t == null) {
                    throw new IllegalArgumentException(file + ": checkpoint has no tensor '" + e.getKey()
                            + "' (expected shape " + e.getValue() + "); it holds " + tensors.keySet());
                }
                if (!t.shape().equals(e.getValue())) {
                    throw new IllegalArgumentException(file + ": tensor '" + e.getKey() + "' has shape "
                            + t.shape() + ", expected " + e.getValue());
                }
            }
            for (String name : tensors.keySet()) {
                if (!expected.containsKey(name)) {
                    throw new IllegalArgumentException(file + ": checkpoint has an unexpected tensor '" + name
                            + "' (shape " + tensors.get(name).shape() + "); expected exactly " + expected.keySet());
                }
            }
        }
    }

    /**
     * Writes {@code tensors} (in iteration order) and {@code metadata} (may be null or empty) to {@code file},
     * atomically replacing any existing file: the bytes go to a temporary file in the same directory
     * (".NAME.HEX.tmp"), which is forced to disk, renamed over {@code file} with ATOMIC_MOVE, and then the
     * directory is forced so that the rename survives a power loss. A failed write deletes its temporary file;
     * one left by a writer that was killed is deleted by the next write to the same file (one writer per file).
     */
    public static void write(Path file, LinkedHashMap<String, TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        byte[] header = header(tensors, metadata);
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        deleteTemporaryFiles(target);
        // Not Files.createTempFile: that makes the file owner-only, and the checkpoint should get the usual permissions.
        Path tmp = dir.resolve(temporaryPrefix(target) + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        boolean renamed = false;
        try {
            try (FileChannel ch = channel) {
                ByteBuffer prefix = ByteBuffer.allocate(PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                prefix.putLong(header.length).flip();
                writeFully(ch, prefix);
                writeFully(ch, ByteBuffer.wrap(header));
                ByteBuffer buf = ByteBuffer.allocate(IO_CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (TensorData t : tensors.values()) {
                    for (float v : t.data()) {
                        if (!buf.hasRemaining()) {
                            buf.flip();
                            writeFully(ch, buf);
                            buf.clear();
                        }
                        buf.putFloat(v);
                    }
                }
                buf.flip();
                writeFully(ch, buf);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot atomically rename " + tmp + " to " + target
                        + "; refusing a non-atomic checkpoint write", e);
            }
            renamed = true;
        } finally {
            if (!renamed) {
                Files.deleteIfExists(tmp);
            }
        }
        syncDirectory(dir);
    }

    private static String temporaryPrefix(Path target) {
        return "." + target.getFileName() + ".";
    }

    /** Deletes the temporary files that writers of {@code target} killed before their rename left behind. */
    private static void deleteTemporaryFiles(Path target) throws IOException {
        Pattern temporary = Pattern.compile(Pattern.quote(temporaryPrefix(target)) + "[0-9a-f]{1,16}\\.tmp");
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(target.getParent(),
                p -> temporary.matcher(p.getFileName().toString()).matches())) {
            for (Path leftover : leftovers) {
                log.debug("deleting {}, left by an interrupted checkpoint write", leftover);
                Files.deleteIfExists(leftover);
            }
        }
    }

    /** The padded UTF-8 JSON header for these tensors, with offsets for a contiguous data section. */
    private static byte[] header(Map<String, TensorData> tensors, Map<String, String> metadata) {
        Map<String, Object> json = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("checkpoint metadata cannot hold null: " + e);
                }
            }
            json.put(METADATA_KEY, metadata);
        }
        long offset = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            if (e.getKey() == null || e.getKey().equals(METADATA_KEY)) {
                throw new IllegalArgumentException("'" + e.getKey() + "' cannot name a tensor in a checkpoint");
            }
            long bytes = 4L * e.getValue().data().length;
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", F32);
            info.put("shape", e.getValue().shape().dims());
            info.put("data_offsets", new long[] {offset, offset + bytes});
            json.put(e.getKey(), info);
            offset += bytes;
        }
        byte[] text = Json.write(json).getBytes(StandardCharsets.UTF_8);
        int padded = (text.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(text, padded);
        Arrays.fill(header, text.length, padded, (byte) ' ');
        return header;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Makes the rename itself durable; not every platform can open a directory, and then this is skipped. */
    private static void syncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }

    /** Where one tensor's bytes lie, as read from the header; offsets are absolute within the file. */
    private record Entry(String name, Shape shape, boolean bfloat16, long begin, long end) {
    }

    /** Reads and fully validates a checkpoint. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < PREFIX_BYTES) {
                throw corrupt(file, 0, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer prefix = readExactly(file, ch, 0, PREFIX_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            long headerLength = prefix.getLong();
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw corrupt(file, 0, "header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (PREFIX_BYTES + headerLength > fileSize) {
                throw corrupt(file, 0, "header length " + headerLength + " runs past the end of the "
                        + fileSize + "-byte file");
            }
            ByteBuffer headerBytes = readExactly(file, ch, PREFIX_BYTES, (int) headerLength);
            long dataStart = PREFIX_BYTES + headerLength;
            String headerText = decodeHeader(file, headerBytes);
            Map<String, Object> header = parseHeader(file, headerText);
            Map<String, Long> keyOffsets = topLevelKeyOffsets(headerText);
            Map<String, String> metadata = metadata(file, header, keyOffsets);
            List<Entry> entries = entries(file, header, keyOffsets, dataStart);
            checkCoverage(file, entries, dataStart, fileSize);

            Map<String, TensorData> tensors = new LinkedHashMap<>();
            for (Entry e : entries) {
                float[] data = new float[(int) e.shape().size()];
                int bytes = e.bfloat16() ? 2 : 4;
                for (int done = 0; done < data.length; ) {
                    int n = Math.min(data.length - done, IO_CHUNK_BYTES / 4);
                    ByteBuffer chunk = readExactly(file, ch, e.begin() + (long) bytes * done, bytes * n)
                            .order(ByteOrder.LITTLE_ENDIAN);
                    if (e.bfloat16()) {
                        for (int i = 0; i < n; i++) {
                            data[done + i] = Float.intBitsToFloat((chunk.getShort() & 0xffff) << 16);
                        }
                    } else {
                        chunk.asFloatBuffer().get(data, done, n);
                    }
                    done += n;
                }
                tensors.put(e.name(), new TensorData(e.shape(), data));
            }
            return new Contents(file, Collections.unmodifiableMap(tensors), metadata);
        }
    }

    private static String decodeHeader(Path file, ByteBuffer headerBytes) {
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = headerBytes.duplicate();
        CharBuffer out = CharBuffer.allocate(in.remaining());
        CoderResult result = utf8.decode(in, out, true);
        if (result.isError()) {
            throw corrupt(file, PREFIX_BYTES + in.position(), "header is not valid UTF-8");
        }
        return out.flip().toString();
    }

    private static Map<String, Object> parseHeader(Path file, String text) {
        Object parsed;
        try {
            parsed = Json.parse(text);
        } catch (Json.ParseException e) {
            long offset = PREFIX_BYTES + utf8Length(text, e.position());
            throw corrupt(file, offset, "header is not valid JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw corrupt(file, PREFIX_BYTES, "header must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> header = (Map<String, Object>) map;
        return header;
    }

    private static long utf8Length(String text, int chars) {
        long bytes = 0;
        for (int i = 0; i < Math.min(chars, text.length()); i++) {
            bytes += utf8Bytes(text.charAt(i));
        }
        return bytes;
    }

    /**
     * The file offset of each key of the header's top-level object, so that an error about one tensor's entry
     * points at it: the keys' character positions, counted in UTF-8 bytes as the keys go.
     */
    private static Map<String, Long> topLevelKeyOffsets(String text) {
        Map<String, Long> offsets = new LinkedHashMap<>();
        long bytes = PREFIX_BYTES;
        int counted = 0; // text[0, counted) is included in bytes
        for (Map.Entry<String, Integer> key : Json.topLevelKeyPositions(text).entrySet()) {
            for (; counted < key.getValue(); counted++) {
                bytes += utf8Bytes(text.charAt(counted));
            }
            offsets.put(key.getKey(), bytes);
        }
        return offsets;
    }

    /** UTF-8 bytes for one UTF-16 unit: a surrogate pair makes 4 bytes, so 2 per surrogate. */
    private static int utf8Bytes(char c) {
        return c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
    }

    private static Map<String, String> metadata(Path file, Map<String, Object> header, Map<String, Long> keyOffsets) {
        if (!header.containsKey(METADATA_KEY)) {
            return Map.of();
        }
        long at = keyOffsets.get(METADATA_KEY);
        if (!(header.get(METADATA_KEY) instanceof Map<?, ?> map)) {
            throw corrupt(file, at, METADATA_KEY + " must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String value)) {
                throw corrupt(file, at, METADATA_KEY + " entry '" + e.getKey() + "' must be a string");
            }
            metadata.put((String) e.getKey(), value);
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static List<Entry> entries(Path file, Map<String, Object> header, Map<String, Long> keyOffsets,
            long dataStart) {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA_KEY)) {
                continue;
            }
            long at = keyOffsets.get(name);
            if (!(e.getValue() instanceof Map<?, ?> info)) {
                throw corruptTensor(file, name, at, "entry must be an object");
            }
            if (!info.keySet().equals(Set.of("dtype", "shape", "data_offsets"))) {
                throw corruptTensor(file, name, at,
                        "entry must have exactly dtype, shape and data_offsets, has " + info.keySet());
            }
            Object dtype = info.get("dtype");
            if (!F32.equals(dtype) && !BF16.equals(dtype)) {
                throw corruptTensor(file, name, at,
                        "dtype " + Json.write(dtype) + " is not supported; only F32 and BF16 are");
            }
            boolean bfloat16 = BF16.equals(dtype);
            int bytes = bfloat16 ? 2 : 4;
            long[] dims = longs(file, name, at, info.get("shape"), ANY_LENGTH, "shape");
            long[] offsets = longs(file, name, at, info.get("data_offsets"), 2, "data_offsets");
            long elements = 1;
            int[] intDims = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] > Integer.MAX_VALUE) {
                    throw corruptTensor(file, name, at, "shape " + Arrays.toString(dims) + " is too large");
                }
                intDims[i] = (int) dims[i];
                elements *= dims[i];
                if (elements > Integer.MAX_VALUE - 8) {
                    throw corruptTensor(file, name, at, "shape " + Arrays.toString(dims)
                            + " has more elements than a Java array can hold");
                }
            }
            long begin = offsets[0];
            long end = offsets[1];
            if (end < begin) {
                throw corruptTensor(file, name, dataStart + begin,
                        "data_offsets [" + begin + ", " + end + "] end before they begin");
            }
            if (end - begin != bytes * elements) {
                throw corruptTensor(file, name, dataStart + begin, "shape " + Arrays.toString(dims) + " needs "
                        + bytes * elements + " bytes of " + dtype + " but data_offsets [" + begin + ", " + end
                        + "] span " + (end - begin));
            }
            entries.add(new Entry(name, Shape.of(intDims), bfloat16, dataStart + begin, dataStart + end));
        }
        return entries;
    }

    /** A JSON array of non-negative integers, {@code length} of them unless it is {@link #ANY_LENGTH}. */
    private static long[] longs(Path file, String tensor, long at, Object raw, int length, String field) {
        if (!(raw instanceof List<?> list) || (length != ANY_LENGTH && list.size() != length)) {
            throw corruptTensor(file, tensor, at, field + " must be an array of "
                    + (length != ANY_LENGTH ? length + " " : "") + "non-negative integers, is " + Json.write(raw));
        }
        long[] values = new long[list.size()];
        for (int i = 0; i < values.length; i++) {
            if (!(list.get(i) instanceof Long v) || v < 0) {
                throw corruptTensor(file, tensor, at, field + " must hold non-negative integers, is "
                        + Json.write(raw));
            }
            values[i] = v;
        }
        return values;
    }

    /** The tensors must cover the data section exactly: no gap, no overlap, nothing past it, nothing after it. */
    private static void checkCoverage(Path file, List<Entry> entries, long dataStart, long fileSize) {
        List<Entry> byOffset = new ArrayList<>(entries);
        byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = dataStart;
        for (Entry e : byOffset) {
            if (e.end() > fileSize) {
                throw corruptTensor(file, e.name(), e.begin(), "data runs to byte " + e.end()
                        + ", past the end of the " + fileSize + "-byte file (truncated?)");
            }
            if (e.begin() < expected) {
                throw corruptTensor(file, e.name(), e.begin(), "data overlaps the previous tensor, which ends at byte "
                        + expected);
            }
            if (e.begin() > expected) {
                throw corruptTensor(file, e.name(), e.begin(), "gap in the data section: expected the data to start at byte "
                        + expected);
            }
            expected = e.end();
        }
        if (expected != fileSize) {
            throw corrupt(file, expected, "the data section ends at byte " + expected + " but the file has "
                    + (fileSize - expected) + " more bytes");
        }
    }

    private static ByteBuffer readExactly(Path file, FileChannel ch, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, position + buf.position());
            if (n < 0) {
                throw corrupt(file, position + buf.position(), "file ends early: expected " + length
                        + " bytes from byte " + position);
            }
        }
        return buf.flip();
    }

    private static FileFormatException corrupt(Path file, long offset, String what) {
        return new FileFormatException(file.toString(), offset,
                file + ": corrupt safetensors checkpoint at byte " + offset + ": " + what);
    }

    private static FileFormatException corruptTensor(Path file, String tensor, long offset, String what) {
        return corrupt(file, offset, "tensor '" + tensor + "': " + what);
    }
}
