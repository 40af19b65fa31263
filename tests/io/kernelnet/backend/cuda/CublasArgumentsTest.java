package io.kernelnet.backend.cuda;

import io.kernelnet.testing.Compare;
import io.kernelnet.testing.TestRandom;
import org.bytedeco.cuda.global.cublas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The row-major trick of {@link CublasGemm}, checked on the host: a plain column-major GEMM written from cuBLAS's
 * definition, called with {@link CublasGemm#arguments}, must produce the row-major product.
 */
class CublasArgumentsTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @Test
    void columnMajorCallWithSwappedOperandsComputesTheRowMajorProductForAllTransposes() {
        int[][] shapes = {{1, 1, 1}, {7, 33, 5}, {4, 1, 9}, {1, 6, 3}, {5, 4, 0}};
        for (int[] s : shapes) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    check(s[0], s[1], s[2], ta, tb);
                }
            }
        }
    }

    private void check(int m, int n, int k, boolean ta, boolean tb) {
        float[] a = rng.uniform(m * k, -1, 1);
        float[] b = rng.uniform(k * n, -1, 1);
        float[] c = rng.uniform(m * n, -1, 1);
        float alpha = 0.75f;
        float beta = -0.5f;
        float[] expected = c.clone();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += (double) a[ta ? p * m + i : i * k + p] * b[tb ? j * k + p : p * n + j];
                }
                expected[i * n + j] = (float) (alpha * s + beta * c[i * n + j]);
            }
        }
        CublasGemm.Arguments g = CublasGemm.arguments(ta, tb, m, n, k);
        float[] actual = c.clone();
        columnMajorSgemm(g.opFirst(), g.opSecond(), g.m(), g.n(), g.k(), alpha, b, g.ldFirst(), a, g.ldSecond(), beta,
                actual, g.ldc());
        Compare.assertClose(m + "x" + n + "x" + k + (ta ? " A^T" : "") + (tb ? " B^T" : ""), expected, actual, 1e-5,
                1e-5);
    }

    /**
     * cuBLAS's sgemm: C (m x n, column-major, ldc) = alpha op(X) op(Y) + beta C, op(X) m x k, op(Y) k x n, with
     * the leading-dimension rules cuBLAS enforces.
     */
    private static void columnMajorSgemm(int opX, int opY, int m, int n, int k, float alpha, float[] x, int ldx,
                                         float[] y, int ldy, float beta, float[] c, int ldc) {
        boolean tx = opX == cublas.CUBLAS_OP_T;
        boolean ty = opY == cublas.CUBLAS_OP_T;
        require(ldx >= Math.max(1, tx ? k : m), "ldx");
        require(ldy >= Math.max(1, ty ? n : k), "ldy");
        require(ldc >= Math.max(1, m), "ldc");
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    float xv = tx ? x[i * ldx + p] : x[p * ldx + i];
                    float yv = ty ? y[p * ldy + j] : y[j * ldy + p];
                    s += (double) xv * yv;
                }
                c[j * ldc + i] = (float) (alpha * s + beta * c[j * ldc + i]);
            }
        }
    }

    private static void require(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("cuBLAS would refuse " + what);
        }
    }
}
