package io.kernelnet.backend.cpu;

import io.kernelnet.tensor.Tensor;

/** The reference's walk over the elements of same-sized tensors, written once for its binary elementwise ops. */
final class CpuElementwise {
    private CpuElementwise() {
    }

    /** A function of two floats (java.util.function has none for float). */
    @FunctionalInterface
    interface FloatBinaryOperator {
        float apply(float a, float b);
    }

    /** y[i] = op(a[i], b[i]) for each of y's elements, in index order; y may be a or b. */
    static void map(Tensor y, Tensor a, Tensor b, FloatBinaryOperator op) {
        float[] ya = y.hostArray();
        float[] aa = a.hostArray();
        float[] ba = b.hostArray();
        int yOff = (int) y.offset();
        int aOff = (int) a.offset();
        int bOff = (int) b.offset();
        int size = (int) y.size();
        for (int i = 0; i < size; i++) {
            ya[yOff + i] = op.apply(aa[aOff + i], ba[bOff + i]);
        }
    }
}
