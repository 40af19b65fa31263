package io.kernelnet.backend;

import static io.kernelnet.backend.CrossCheckCases.LEAKY_ALPHA;
import static io.kernelnet.backend.CrossCheckCases.NONE;
import static io.kernelnet.backend.CrossCheckCases.uniform;

import io.kernelnet.backend.CrossCheck.Case;
import io.kernelnet.backend.CrossCheck.Setup;
import io.kernelnet.backend.CrossCheck.Tolerance;
import io.kernelnet.backend.Numerics.GemmPrecision;
import io.kernelnet.tensor.Shape;
import java.util.List;

/**
 * The cross-check cases of the dense products: gemm and gemmBatched over the four transpose combinations, and
 * gemmBiasActivation, a Dense layer's forward (kernels/gemm.cu). Bounds: {@link CrossCheck}.
 */
final class GemmCases {
    private GemmCases() {
    }

    // ---- GEMM -------------------------------------------------------------------------------------------------

    static void gemm(List<Case> cases, GemmPrecision p) {
        int[][] shapes = {{1, 1, 1}, {7, 33, 129}, {129, 257, 33}, {257, 1, 7}, {33, 65, 257}};
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                for (int[] s : shapes) {
                    cases.add(gemm(p, 0, s[0], s[1], s[2], ta, tb, 1, 0, false));
                }
                cases.add(gemm(p, 0, 65, 97, 31, ta, tb, 0.5f, -1.5f, false));
            }
        }
        // enough 128x128 tiles to fill an H100 (132 SMs): the large-tile kernel
        cases.add(gemm(p, 0, 1536, 1536, 64, false, false, 1, 0, false));
        cases.add(gemm(p, 0, 1536, 1536, 64, false, true, 1, 0.25f, false));
        // empty products: nothing to do, or (K = 0) only beta * C
        cases.add(gemm(p, 0, 0, 7, 5, false, false, 1, 0, false));
        cases.add(gemm(p, 0, 7, 0, 5, false, false, 1, 0, false));
        cases.add(gemm(p, 0, 7, 5, 0, false, false, 1, 0.5f, false));
        cases.add(gemm(p, 3, 33, 65, 17, false, false, 1, 0, false));
        cases.add(gemm(p, 3, 33, 65, 17, true, true, 1.25f, 0.5f, false));
        cases.add(gemm(p, 3, 33, 65, 17, false, true, 1, 0, false));
        cases.add(gemm(p, 3, 33, 65, 17, true, false, 1, 0, false));
        cases.add(gemm(p, 9, 512, 512, 32, true, false, 1, 0, false));
    }

    /** batch 0: a 2D gemm; otherwise gemmBatched over [batch, rows, cols] tensors. */
    static Case gemm(GemmPrecision p, int batch, int m, int n, int k, boolean ta, boolean tb, float alpha,
                             float beta, boolean misaligned) {
        String shape = (batch > 0 ? batch + "x " : "") + "M=" + m + " N=" + n + " K=" + k + " "
                + (ta ? "T" : "N") + (tb ? "T" : "N")
                + (alpha != 1 || beta != 0 ? " alpha=" + alpha + " beta=" + beta : "")
                + (misaligned ? " at offset+1" : "");
        return new Case(batch > 0 ? "gemmBatched" : "gemm", shape, r -> {
            int count = Math.max(batch, 1);
            float[] a = uniform(r, count * m * k, -1, 1);
            float[] b = uniform(r, count * k * n, -1, 1);
            float[] c0 = beta == 0 ? null : uniform(r, count * m * n, -1, 1);
            Tolerance tolerance = Tolerance.scaled(Tolerance.gemmBound(p, k),
                    gemmScale(a, ta, b, tb, c0, count, m, n, k, alpha, beta));
            Setup s = new Setup()
                    .input("a", batched(batch, ta ? Shape.of(k, m) : Shape.of(m, k)), a)
                    .input("b", batched(batch, tb ? Shape.of(n, k) : Shape.of(k, n)), b);
            Shape cShape = batched(batch, Shape.of(m, n));
            if (c0 == null) {
                s.output("c", cShape, tolerance);
            } else {
                s.inout("c", cShape, c0, tolerance);
            }
            if (misaligned) {
                s.misaligned();
            }
            return s.run((be, t) -> {
                if (batch > 0) {
                    be.gemmBatched(t.get("c"), t.get("a"), ta, t.get("b"), tb, alpha, beta);
                } else {
                    be.gemm(t.get("c"), t.get("a"), ta, t.get("b"), tb, alpha, beta);
                }
                return NONE;
            });
        });
    }

    private static Shape batched(int batch, Shape s) {
        return batch > 0 ? s.batched(batch) : s;
    }

    /** |alpha| sum_p |opA_ip| |opB_pj| + |beta| |C0_ij| for every element: the scale of the GEMM error bound. */
    static double[] gemmScale(float[] a, boolean ta, float[] b, boolean tb, float[] c0, int batch, int m, int n,
                              int k, float alpha, float beta) {
        double[] scale = new double[batch * m * n];
        double[] absB = new double[k * n];
        for (int q = 0; q < batch; q++) {
            int ab = q * m * k;
            int bb = q * k * n;
            int cb = q * m * n;
            // |opB| row-major [k, n] once, so that the inner loop runs along contiguous rows
            for (int p = 0; p < k; p++) {
                for (int j = 0; j < n; j++) {
                    absB[p * n + j] = Math.abs(b[bb + (tb ? j * k + p : p * n + j)]);
                }
            }
            for (int i = 0; i < m; i++) {
                for (int p = 0; p < k; p++) {
                    double aip = Math.abs(alpha) * Math.abs(a[ab + (ta ? p * m + i : i * k + p)]);
                    for (int j = 0; j < n; j++) {
                        scale[cb + i * n + j] += aip * absB[p * n + j];
                    }
                }
            }
        }
        if (c0 != null) {
            for (int i = 0; i < scale.length; i++) {
                scale[i] += Math.abs(beta) * Math.abs(c0[i]);
            }
        }
        return scale;
    }

    /**
     * A Dense forward c = act(a b + bias): Dense-like shapes, the mlp's first layer at batch 512, enough 128x128
     * tiles for the large-tile kernel, without bias or activation, K = 0. Bound: the GEMM's for K + 1 terms (the
     * bias one more) on sum |a b| + |bias|, plus 1 in the scale for sigmoid and tanh (their own few ulps of a
     * value in (-1, 1)); |act'| <= 1 carries the pre-activation's error through.
     */
    static void gemmBiasActivation(List<Case> cases, GemmPrecision p) {
        int[][] shapes = {{1, 1, 1}, {7, 33, 129}, {129, 10, 64}, {512, 128, 784}, {1536, 1536, 64}, {5, 3, 0}};
        // no ReLU where a handful of outputs could all be 0 with or without a bias
        Activation[] acts = {Activation.TANH, Activation.RELU, Activation.LEAKY_RELU, Activation.RELU,
            Activation.SIGMOID, Activation.TANH};
        for (int i = 0; i < shapes.length; i++) {
            int[] s = shapes[i];
            cases.add(gemmBiasActivation(p, s[0], s[1], s[2], acts[i], true));
        }
        cases.add(gemmBiasActivation(p, 65, 97, 31, null, true));
        cases.add(gemmBiasActivation(p, 65, 97, 31, Activation.TANH, false));
        cases.add(gemmBiasActivation(p, 257, 130, 33, Activation.SIGMOID, true));
    }

    private static Case gemmBiasActivation(GemmPrecision p, int m, int n, int k, Activation act, boolean withBias) {
        String shape = "M=" + m + " N=" + n + " K=" + k + " " + (act == null ? "no activation" : act)
                + (withBias ? "" : " no bias");
        return new Case("gemmBiasActivation", shape, r -> {
            float[] a = uniform(r, m * k, -1, 1);
            float[] b = uniform(r, k * n, -1, 1);
            float[] bias = uniform(r, n, -1, 1);
            double[] scale = gemmScale(a, false, b, false, null, 1, m, n, k, 1, 0);
            for (int i = 0; i < scale.length; i++) {
                scale[i] += (withBias ? Math.abs(bias[i % n]) : 0)
                        + (act == Activation.SIGMOID || act == Activation.TANH ? 1 : 0);
            }
            Setup s = new Setup()
                    .input("a", Shape.of(m, k), a)
                    .input("b", Shape.of(k, n), b)
                    .output("c", Shape.of(m, n), Tolerance.scaled(Tolerance.gemmBound(p, k + 1), scale));
            if (withBias) {
                s.input("bias", Shape.of(n), bias);
            }
            return s.run((be, t) -> {
                be.gemmBiasActivation(t.get("c"), t.get("a"), t.get("b"), withBias ? t.get("bias") : null, act,
                        LEAKY_ALPHA);
                return NONE;
            });
        });
    }
}
