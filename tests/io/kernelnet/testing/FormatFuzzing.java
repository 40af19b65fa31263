package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.io.FileFormatException;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * The contract every fuzz target of a file reader checks: on any bytes, the reader either returns or throws a
 * {@link FileFormatException} that names the file. Everything else it throws (NullPointerException, an index
 * out of bounds, NegativeArraySizeException, OutOfMemoryError, an IOException on a readable file, ...) escapes
 * and is a finding.
 */
public final class FormatFuzzing {
    private FormatFuzzing() {
    }

    /** The value read, or empty when the reader refused the input as it should. */
    public static <T> Optional<T> readsOrRefuses(String source, Callable<T> read) throws Exception {
        try {
            return Optional.of(read.call());
        } catch (FileFormatException refused) {
            assertEquals(source, refused.source(), "the refusal names another file");
            assertTrue(refused.getMessage().startsWith(source + ":"),
                    () -> "the message should start with the file: " + refused.getMessage());
            return Optional.empty();
        }
    }
}
