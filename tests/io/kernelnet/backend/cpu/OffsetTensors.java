package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;

/**
 * Views at a non-zero offset inside a larger storage whose other elements are NaN: an op that ignores the offset
 * reads NaN and fails its comparison, and one that writes outside its view is caught by {@link #assertPadding}.
 */
final class OffsetTensors {
    private static final int PAD = 5;

    private OffsetTensors() {
    }

    /** A view holding {@code values}, PAD elements into a NaN-padded storage. */
    static Tensor of(float[] values, Shape shape) {
        float[] storage = new float[PAD + values.length + PAD];
        Arrays.fill(storage, Float.NaN);
        System.arraycopy(values, 0, storage, PAD, values.length);
        return Tensor.wrap(storage, Shape.of(storage.length)).slice(PAD, shape, "offset view");
    }

    /** An output view filled with NaN, so that an element the op forgets to write fails the comparison. */
    static Tensor output(Shape shape) {
        float[] nan = new float[(int) shape.size()];
        Arrays.fill(nan, Float.NaN);
        return of(nan, shape);
    }

    /** The storage around the view is still all NaN: nothing was written outside it. */
    static void assertPadding(Tensor view) {
        float[] a = view.hostArray();
        long end = view.offset() + view.size();
        for (int i = 0; i < a.length; i++) {
            if (i < view.offset() || i >= end) {
                assertTrue(Float.isNaN(a[i]), "element " + i + " outside the view at offset " + view.offset()
                        + " was overwritten with " + a[i]);
            }
        }
    }
}
