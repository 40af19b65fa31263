package io.kernelnet.backend.cpu;

import io.kernelnet.tensor.Tensor;
import java.util.stream.IntStream;

/**
 * Dense algebra: row-major gemm with all four transpose combinations, its batched form, the bias add of Dense and
 * Conv2D layers with its gradient, and elementwise add. Sums accumulate in double.
 */
final class CpuGemm {
    /** Multiply-adds from which gemm spreads the rows of c over the common fork-join pool. */
    private static final long PARALLEL_WORK = 1L << 16;

    private CpuGemm() {
    }

    static void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta, int m,
                     int n, int k) {
        multiply(c.hostArray(), (int) c.offset(), a.hostArray(), (int) a.offset(), transA,
                b.hostArray(), (int) b.offset(), transB, m, n, k, alpha, beta);
    }

    static void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta,
                            int batch, int m, int n, int k) {
        for (int i = 0; i < batch; i++) {
            multiply(c.hostArray(), (int) c.offset() + i * m * n, a.hostArray(), (int) a.offset() + i * m * k, transA,
                    b.hostArray(), (int) b.offset() + i * k * n, transB, m, n, k, alpha, beta);
        }
    }

    /**
     * c[i, j] = alpha * sum over p of opA[i, p] * opB[p, j] + beta * c[i, j], each matrix row-major at its offset:
     * opA[i, p] is a[i*k + p] (a[p*m + i] when transA), opB[p, j] is b[p*n + j] (b[j*k + p] when transB).
     */
    private static void multiply(float[] c, int cOff, float[] a, int aOff, boolean transA, float[] b, int bOff,
                                 boolean transB, int m, int n, int k, float alpha, float beta) {
        int aStrideI = transA ? 1 : k;
        int aStrideP = transA ? m : 1;
        IntStream rows = IntStream.range(0, m);
        if ((long) m * n * k >= PARALLEL_WORK) {
            rows = rows.parallel();
        }
        rows.forEach(i -> {
            int aRow = aOff + i * aStrideI;
            double[] sum = new double[n];
            if (transB) {
                // column j of opB is row j of b: each entry is a dot product of two runs along p
                for (int j = 0; j < n; j++) {
                    int bRow = bOff + j * k;
                    double s = 0;
                    for (int p = 0; p < k; p++) {
                        s += (double) a[aRow + p * aStrideP] * b[bRow + p];
                    }
                    sum[j] = s;
                }
            } else {
                // add opA[i, p] times row p of b, walking b and the sums contiguously
                for (int p = 0; p < k; p++) {
                    double aip = a[aRow + p * aStrideP];
                    int bRow = bOff + p * n;
                    for (int j = 0; j < n; j++) {
                        sum[j] += aip * b[bRow + j];
                    }
                }
            }
            int cRow = cOff + i * n;
            for (int j = 0; j < n; j++) {
                double product = alpha * sum[j];
                // beta == 0 must not read c, which may hold NaN
                c[cRow + j] = (float) (beta == 0 ? product : product + (double) beta * c[cRow + j]);
            }
        });
    }

    static void biasAdd(Tensor y, Tensor bias, int samples, int channels, int inner) {
        float[] ya = y.hostArray();
        float[] ba = bias.hostArray();
        int yOff = (int) y.offset();
        int bOff = (int) bias.offset();
        for (int s = 0; s < samples; s++) {
            for (int ch = 0; ch < channels; ch++) {
                float v = ba[bOff + ch];
                int start = yOff + (s * channels + ch) * inner;
                for (int j = 0; j < inner; j++) {
                    ya[start + j] += v;
                }
            }
        }
    }

    static void biasGrad(Tensor dBias, Tensor dy, int samples, int channels, int inner) {
        float[] dya = dy.hostArray();
        int dyOff = (int) dy.offset();
        double[] sum = new double[channels];
        for (int s = 0; s < samples; s++) {
            for (int ch = 0; ch < channels; ch++) {
                int start = dyOff + (s * channels + ch) * inner;
                double run = 0;
                for (int j = 0; j < inner; j++) {
                    run += dya[start + j];
                }
                sum[ch] += run;
            }
        }
        float[] da = dBias.hostArray();
        int dOff = (int) dBias.offset();
        for (int ch = 0; ch < channels; ch++) {
            da[dOff + ch] = (float) sum[ch];
        }
    }

    static void add(Tensor y, Tensor a, Tensor b) {
        float[] ya = y.hostArray();
        float[] aa = a.hostArray();
        float[] ba = b.hostArray();
        int yOff = (int) y.offset();
        int aOff = (int) a.offset();
        int bOff = (int) b.offset();
        int size = (int) y.size();
        for (int i = 0; i < size; i++) {
            ya[yOff + i] = aa[aOff + i] + ba[bOff + i];
        }
    }
}
