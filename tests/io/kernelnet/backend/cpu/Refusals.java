package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.function.Executable;

/** Asserts that a call is refused with exactly the message a user would read. */
final class Refusals {
    private Refusals() {
    }

    static void assertRefused(String expectedMessage, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expectedMessage, e.getMessage());
    }
}
