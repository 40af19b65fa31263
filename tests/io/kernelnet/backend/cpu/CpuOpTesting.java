package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.function.Executable;

/** Shared by the CPU op tests: tensors at a non-zero storage offset, and refused calls. */
final class CpuOpTesting {
    /** NaN floats on each side of an {@link #offsetView}. */
    static final int GUARD = 7;

    private CpuOpTesting() {
    }

    static Tensor tensor(float[] data, int... dims) {
        return Tensor.wrap(data, Shape.of(dims));
    }

    /**
     * A copy of {@code data} as a view {@link #GUARD} floats into a larger storage whose other floats are NaN: an
     * op that ignores the offset reads NaN into its result, or overwrites a guard ({@link #assertGuardsUntouched}).
     */
    static Tensor offsetView(float[] data, int... dims) {
        float[] storage = new float[data.length + 2 * GUARD];
        Arrays.fill(storage, Float.NaN);
        System.arraycopy(data, 0, storage, GUARD, data.length);
        return Tensor.wrap(storage, Shape.of(storage.length)).slice(GUARD, Shape.of(dims), "view");
    }

    /** An {@link #offsetView} whose own elements are NaN too: an op must overwrite every one of them. */
    static Tensor nanView(int... dims) {
        float[] nan = new float[(int) Shape.of(dims).size()];
        Arrays.fill(nan, Float.NaN);
        return offsetView(nan, dims);
    }

    static void assertGuardsUntouched(String what, Tensor view) {
        float[] storage = view.hostArray();
        for (int i = 0; i < storage.length; i++) {
            boolean inside = i >= view.offset() && i < view.offset() + view.size();
            if (!inside && !Float.isNaN(storage[i])) {
                fail(what + ": wrote " + storage[i] + " at storage index " + i + ", outside the view at offset "
                        + view.offset() + " of " + view.size() + " floats");
            }
        }
    }

    /** Asserts that {@code call} throws IllegalArgumentException with a message "op: ..." naming each mention. */
    static void assertRefused(String op, Executable call, String... mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        String message = e.getMessage();
        assertTrue(message.startsWith(op + ":"), "message should start with '" + op + ":': " + message);
        for (String mention : mentions) {
            assertTrue(message.contains(mention), "message should mention '" + mention + "': " + message);
        }
    }
}
