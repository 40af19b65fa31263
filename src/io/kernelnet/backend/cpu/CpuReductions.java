package io.kernelnet.backend.cpu;

import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Tensor;

/** Whole-tensor sums (accumulated in double) and the row-wise argmax behind predictions and accuracy. */
final class CpuReductions {
    private CpuReductions() {
    }

    static float sum(Tensor x) {
        return (float) sumOf(x);
    }

    /** NaN for an empty tensor, as in PyTorch. */
    static float mean(Tensor x) {
        return (float) (sumOf(x) / x.size());
    }

    private static double sumOf(Tensor x) {
        float[] xa = x.hostArray();
        int xo = (int) x.offset();
        int n = (int) x.size();
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += xa[xo + i];
        }
        return s;
    }

    /** out[0] = value (out: one element, checked by the caller). */
    static void store(Tensor out, float value) {
        out.hostArray()[(int) out.offset()] = value;
    }

    /** halt[0] = 1 when x holds a NaN or an infinity; otherwise halt keeps its value. */
    static void flagNonFinite(Tensor halt, Tensor x) {
        float[] xa = x.hostArray();
        int xo = (int) x.offset();
        for (int i = 0; i < x.size(); i++) {
            if (!Float.isFinite(xa[xo + i])) {
                store(halt, 1f);
                return;
            }
        }
    }

    static void argmax(Tensor indices, Tensor x, int rows, int k) {
        float[] ia = indices.hostArray();
        float[] xa = x.hostArray();
        for (int r = 0; r < rows; r++) {
            ia[(int) indices.offset() + r] = firstMax(xa, (int) x.offset() + r * k, k);
        }
    }

    /** Rows of scores [n, k] whose argmax is the label: labels [n] of class indices, or [n, k] compared by argmax. */
    static int accuracyCount(Tensor scores, Tensor labels, boolean oneHot) {
        int n = scores.dim(0);
        int k = scores.dim(1);
        float[] sa = scores.hostArray();
        int so = (int) scores.offset();
        int count = 0;
        if (oneHot) {
            float[] la = labels.hostArray();
            int lo = (int) labels.offset();
            for (int r = 0; r < n; r++) {
                if (firstMax(sa, so + r * k, k) == firstMax(la, lo + r * k, k)) {
                    count++;
                }
            }
        } else {
            float[] label = labels.toArray();
            ShapeChecks.labels("accuracyCount", label, k);
            for (int r = 0; r < n; r++) {
                if (firstMax(sa, so + r * k, k) == (int) label[r]) {
                    count++;
                }
            }
        }
        return count;
    }

    /** Index of the first maximum of a[base .. base+k). */
    private static int firstMax(float[] a, int base, int k) {
        int best = 0;
        for (int j = 1; j < k; j++) {
            if (a[base + j] > a[base + best]) {
                best = j;
            }
        }
        return best;
    }
}
