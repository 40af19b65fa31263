package io.kernelnet.io;

/**
 * A file that does not follow its format (IDX, safetensors, a checkpoint's metadata): the one exception the
 * readers of untrusted files throw for bad content, whatever the bytes. The message names the file, the byte
 * offset where the reader stopped (when there is one) and what it expected there. I/O failures stay
 * IOExceptions. A subclass of IllegalArgumentException, so that callers that refuse bad arguments and bad files
 * alike keep one catch.
 */
public final class FileFormatException extends IllegalArgumentException {
    /** {@link #offset()} when the problem has no single byte offset (a value inside a metadata string). */
    public static final long NO_OFFSET = -1;

    private final String source;
    private final long offset;

    public FileFormatException(String source, long offset, String message) {
        this(source, offset, message, null);
    }

    public FileFormatException(String source, long offset, String message, Throwable cause) {
        super(message, cause);
        this.source = source;
        this.offset = offset;
    }

    /** The file (or resource) that was read. */
    public String source() {
        return source;
    }

    /** The byte offset the message refers to, or {@link #NO_OFFSET}. */
    public long offset() {
        return offset;
    }
}
