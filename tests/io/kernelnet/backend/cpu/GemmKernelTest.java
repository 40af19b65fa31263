package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kernelnet.testing.TestRandom;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each GEMM kernel against its contract ({@link GemmKernel}) directly, through any strides: opB row-major,
 * transposed, or neither (a strided view, as the interface allows though no caller passes one yet); opA strided;
 * c inside a wider row (ldc > n) whose other columns stay untouched; c never read when beta is 0 (it holds NaN);
 * sizes off the kernels' tiles and on them. Compared with products in double, within the float32 rounding bound of
 * a sum of k products, scaled and added: (k + 3) u (|alpha| sum |a b| + |beta c|), u = 2^-24.
 */
class GemmKernelTest {
    private static final double U = 0x1p-24;

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> cases = Stream.builder();
        ParallelBranchesTest.kernels().forEach(kernel -> {
            for (int[] mnk : new int[][] {{7, 19, 5}, {12, 64, 33}, {1, 1, 1}}) {
                for (String layout : new String[] {"row-major", "transposed", "strided"}) {
                    cases.add(Arguments.of(kernel, mnk[0], mnk[1], mnk[2], layout));
                }
            }
        });
        return cases.build();
    }

    @ParameterizedTest(name = "{0} m={1} n={2} k={3} opB {4}")
    @MethodSource("cases")
    void multipliesThroughAnyStrides(GemmKernel kernel, int m, int n, int k, String layout) {
        int bRowStride = switch (layout) {
            case "row-major" -> n;
            case "transposed" -> 1;
            default -> 2 * n + 3;
        };
        int bColStride = switch (layout) {
            case "row-major" -> 1;
            case "transposed" -> k;
            default -> 2;
        };
        int bOff = 5;
        int aOff = 3;
        int aRowStride = 2 * k + 1;
        int aColStride = 2;
        float[] a = rng.uniform(aOff + m * aRowStride, -1, 1);
        float[] b = rng.uniform(bOff + k * bRowStride + n * bColStride, -1, 1);
        int ldc = n + 3;
        int cOff = 4;
        for (float[] alphaBeta : new float[][] {{1f, 0f}, {1.5f, 0.5f}}) {
            float alpha = alphaBeta[0];
            float beta = alphaBeta[1];
            float[] c = rng.uniform(cOff + m * ldc + 2, -1, 1);
            if (beta == 0) {
                for (int i = 0; i < m; i++) {
                    Arrays.fill(c, cOff + i * ldc, cOff + i * ldc + n, Float.NaN);
                }
            }
            float[] before = c.clone();
            float[][] packed = new float[kernel.packedRows(k, n)][kernel.packedCols(k, n)];
            kernel.packB(packed, b, bOff, bRowStride, bColStride, k, n);
            kernel.multiply(c, cOff, ldc, a, aOff, aRowStride, aColStride, packed, m, n, k, alpha, beta,
                    new ScratchPool().take());
            for (int i = 0; i < c.length; i++) {
                int row = (i - cOff) / ldc;
                int col = (i - cOff) % ldc;
                if (i < cOff || row >= m || col >= n) {
                    assertEquals(before[i], c[i], "c[" + i + "] lies outside the product and must not change");
                    continue;
                }
                double sum = 0;
                double magnitude = 0;
                for (int q = 0; q < k; q++) {
                    double term = (double) a[aOff + row * aRowStride + q * aColStride]
                            * b[bOff + q * bRowStride + col * bColStride];
                    sum += term;
                    magnitude += Math.abs(term);
                }
                double old = beta == 0 ? 0 : before[i];  // NaN there: never read
                double expected = alpha * sum + beta * old;
                double bound = (k + 3) * U * (Math.abs(alpha) * magnitude + Math.abs(beta * old));
                assertEquals(expected, c[i], bound, "c[" + row + ", " + col + "] alpha " + alpha + " beta " + beta);
            }
        }
    }
}
