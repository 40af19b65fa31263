package io.kernelnet.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/** Asserts that bad input is refused with a message that names what it must (file, byte offset, tensor, ...). */
public final class Refusals {
    private Refusals() {
    }

    public static IllegalArgumentException assertRefused(Executable call, String... mustMention) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String fragment : mustMention) {
            assertTrue(e.getMessage().contains(fragment),
                    () -> "message should mention \"" + fragment + "\": " + e.getMessage());
        }
        return e;
    }
}
