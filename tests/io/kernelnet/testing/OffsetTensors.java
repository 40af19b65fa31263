package io.kernelnet.testing;

import static org.junit.jupiter.api.Assertions.fail;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;

/**
 * Views at a non-zero offset inside a larger storage whose other floats are NaN: an op that ignores the offset
 * reads NaN into its result, and one that writes outside its view is caught by {@link #assertNothingWrittenOutside}.
 */
public final class OffsetTensors {
    /** NaN floats on each side of a view. */
    private static final int PADDING = 7;

    private OffsetTensors() {
    }

    /** A copy of {@code values} as a view {@link #PADDING} floats into a NaN-padded storage. */
    public static Tensor of(float[] values, Shape shape) {
        float[] storage = new float[PADDING + values.length + PADDING];
        Arrays.fill(storage, Float.NaN);
        System.arraycopy(values, 0, storage, PADDING, values.length);
        return Tensor.wrap(storage, Shape.of(storage.length)).slice(PADDING, shape, "offset view");
    }

    /** An output view whose own elements are NaN too, so that an element the op forgets to write fails. */
    public static Tensor output(Shape shape) {
        float[] nan = new float[(int) shape.size()];
        Arrays.fill(nan, Float.NaN);
        return of(nan, shape);
    }

    /** The storage around {@code view} is still all NaN: the op wrote nothing outside it. */
    public static void assertNothingWrittenOutside(String what, Tensor view) {
        float[] storage = view.hostArray();
        long end = view.offset() + view.size();
        for (int i = 0; i < storage.length; i++) {
            boolean inside = i >= view.offset() && i < end;
            if (!inside && !Float.isNaN(storage[i])) {
                fail(what + ": wrote " + storage[i] + " at storage index " + i + ", outside the view at offset "
                        + view.offset() + " of " + view.size() + " floats");
            }
        }
    }
}
