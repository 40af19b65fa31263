package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Backend;
import java.util.function.Function;
import org.junit.jupiter.api.function.Executable;

/** Asserts that bad input is refused with an IllegalArgumentException whose message says what a user needs. */
public final class Refusals {
    private Refusals() {
    }

    /** The message mentions every fragment (file, byte offset, tensor, shape, value, ...). */
    public static IllegalArgumentException assertRefused(Executable call, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : mustMention) {
            assertTrue(e.getMessage().contains(fragment),
                    () -> "message should mention \"" + fragment + "\": " + e.getMessage());
        }
        return e;
    }

    /** The message is exactly {@code exactMessage}: what the user reads, word for word. */
    public static void assertRefusedWith(String exactMessage, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(exactMessage, e.getMessage());
    }

    /** The message starts with "{@code op}:", naming the op that refused, and mentions every fragment. */
    public static void assertRefusedBy(String op, Executable call, String... mustMention) {
        IllegalArgumentException e = assertRefused(call, mustMention);
        assertTrue(e.getMessage().startsWith(op + ":"), () -> "message should start with '" + op + ":': "
                + e.getMessage());
    }

    /** {@code other} refuses {@code call} with exactly the message {@code reference} refuses it with. */
    public static void assertRefusedLike(Backend reference, Backend other, Function<Backend, Executable> call) {
        String message = assertThrows(IllegalArgumentException.class, call.apply(reference)).getMessage();
        assertRefusedWith(message, call.apply(other));
    }
}
