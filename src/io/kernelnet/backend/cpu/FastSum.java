package io.kernelnet.backend.cpu;

import io.kernelnet.tensor.Tensor;

/**
 * The sum of a tensor for {@link FastCpuBackend} (the training step's finite check sums every gradient): in double
 * like the reference ({@link CpuReductions}), but as four partial sums side by side, added at the end. A chain of
 * dependent additions a quarter as long; a term goes through at most n/4 + 2 roundings in double where the
 * reference's goes through n, so both are far within float32's rounding of the exact sum (FastCpuBackendTest).
 */
final class FastSum {
    private FastSum() {
    }

    static double of(Tensor x) {
        float[] xa = x.hostArray();
        int xo = (int) x.offset();
        int n = (int) x.size();
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += xa[xo + i];
            s1 += xa[xo + i + 1];
            s2 += xa[xo + i + 2];
            s3 += xa[xo + i + 3];
        }
        for (; i < n; i++) {
            s0 += xa[xo + i];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
