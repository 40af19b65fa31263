package io.kernelnet.backend.cpu;

import io.kernelnet.tensor.Tensor;

/**
 * ReLU, the activation of every seed model, in loops of its own for {@link FastCpuBackend}: the reference's
 * expressions ({@link CpuActivations}: max(z + bias, 0) forward, dy where x > 0 backward), so the same bits, without
 * the reference's choice of activation at every element. Callers check the arguments and pass slices.
 */
final class FastRelu {
    private FastRelu() {
    }

    /** y = max(z + bias[ch], 0) over [samples, channels, inner] (bias null: max(z, 0)); y may be z. */
    static void biasForward(Tensor y, Tensor z, Tensor bias, int channels, int inner) {
        float[] ya = y.hostArray();
        float[] za = z.hostArray();
        int yo = (int) y.offset();
        int zo = (int) z.offset();
        int size = (int) z.size();
        if (bias == null) {
            for (int i = 0; i < size; i++) {
                ya[yo + i] = Math.max(za[zo + i], 0f);
            }
            return;
        }
        float[] ba = bias.hostArray();
        int bo = (int) bias.offset();
        if (inner == 1) {
            // a Dense layer's [rows, units]: the channel is the fastest axis
            for (int row = 0; row < size; row += channels) {
                for (int ch = 0; ch < channels; ch++) {
                    ya[yo + row + ch] = Math.max(za[zo + row + ch] + ba[bo + ch], 0f);
                }
            }
            return;
        }
        for (int plane = 0; plane < size / inner; plane++) {
            float b = ba[bo + plane % channels];
            int start = plane * inner;
            for (int j = start; j < start + inner; j++) {
                ya[yo + j] = Math.max(za[zo + j] + b, 0f);
            }
        }
    }

    /** dx = dy where x > 0, else 0; dx may be dy. */
    static void backward(Tensor dx, Tensor dy, Tensor x) {
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        float[] xa = x.hostArray();
        int dxo = (int) dx.offset();
        int dyo = (int) dy.offset();
        int xo = (int) x.offset();
        int size = (int) dy.size();
        for (int i = 0; i < size; i++) {
            dxa[dxo + i] = through(dya[dyo + i], xa[xo + i]);
        }
    }

    /**
     * The fused epilogue's backward for channels [from, from + count) of [samples, channels, inner]: dz = dy where
     * y > 0, else 0, and dBias[ch] = the sum of dz over samples and positions in the reference's order (per sample
     * a sum in double from 0, added to the channel's total in sample order), so the same bits; dz may be dy. Four
     * samples' sums run side by side: each is a chain of dependent additions.
     */
    static void biasBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, int samples, int channels, int inner,
                             int from, int count) {
        float[] dza = dz.hostArray();
        float[] dya = dy.hostArray();
        float[] ya = y.hostArray();
        int dzo = (int) dz.offset();
        int dyo = (int) dy.offset();
        int yo = (int) y.offset();
        if (inner == 1) {
            denseBiasBackward(dza, dzo, dya, dyo, ya, yo, dBias, samples, channels, from, count);
            return;
        }
        int sampleSize = channels * inner;
        for (int ch = from; ch < from + count; ch++) {
            double total = 0;
            int s = 0;
            for (; s + 3 < samples; s += 4) {
                int p0 = (s * channels + ch) * inner;
                int p1 = p0 + sampleSize;
                int p2 = p1 + sampleSize;
                int p3 = p2 + sampleSize;
                double run0 = 0;
                double run1 = 0;
                double run2 = 0;
                double run3 = 0;
                for (int j = 0; j < inner; j++) {
                    float g0 = through(dya[dyo + p0 + j], ya[yo + p0 + j]);
                    float g1 = through(dya[dyo + p1 + j], ya[yo + p1 + j]);
                    float g2 = through(dya[dyo + p2 + j], ya[yo + p2 + j]);
                    float g3 = through(dya[dyo + p3 + j], ya[yo + p3 + j]);
                    dza[dzo + p0 + j] = g0;
                    dza[dzo + p1 + j] = g1;
                    dza[dzo + p2 + j] = g2;
                    dza[dzo + p3 + j] = g3;
                    run0 += g0;
                    run1 += g1;
                    run2 += g2;
                    run3 += g3;
                }
                total += run0;
                total += run1;
                total += run2;
                total += run3;
            }
            for (; s < samples; s++) {
                int p0 = (s * channels + ch) * inner;
                double run = 0;
                for (int j = 0; j < inner; j++) {
                    float g = through(dya[dyo + p0 + j], ya[yo + p0 + j]);
                    dza[dzo + p0 + j] = g;
                    run += g;
                }
                total += run;
            }
            dBias.hostArray()[(int) dBias.offset() + ch] = (float) total;
        }
    }

    /**
     * {@link #biasBackward} for a Dense layer's [samples, channels]: the reference's per-sample sums hold one term
     * each, so a channel's total adds its terms in sample order; four channels side by side, along the rows.
     */
    private static void denseBiasBackward(float[] dza, int dzo, float[] dya, int dyo, float[] ya, int yo,
                                          Tensor dBias, int samples, int channels, int from, int count) {
        float[] db = dBias.hostArray();
        int dbo = (int) dBias.offset();
        int ch = from;
        for (; ch + 3 < from + count; ch += 4) {
            double total0 = 0;
            double total1 = 0;
            double total2 = 0;
            double total3 = 0;
            for (int at = ch; at < samples * channels; at += channels) {
                float g0 = through(dya[dyo + at], ya[yo + at]);
                float g1 = through(dya[dyo + at + 1], ya[yo + at + 1]);
                float g2 = through(dya[dyo + at + 2], ya[yo + at + 2]);
                float g3 = through(dya[dyo + at + 3], ya[yo + at + 3]);
                dza[dzo + at] = g0;
                dza[dzo + at + 1] = g1;
                dza[dzo + at + 2] = g2;
                dza[dzo + at + 3] = g3;
                total0 += g0;
                total1 += g1;
                total2 += g2;
                total3 += g3;
            }
            db[dbo + ch] = (float) total0;
            db[dbo + ch + 1] = (float) total1;
            db[dbo + ch + 2] = (float) total2;
            db[dbo + ch + 3] = (float) total3;
        }
        for (; ch < from + count; ch++) {
            double total = 0;
            for (int at = ch; at < samples * channels; at += channels) {
                float g = through(dya[dyo + at], ya[yo + at]);
                dza[dzo + at] = g;
                total += g;
            }
            db[dbo + ch] = (float) total;
        }
    }

    /**
     * dy where x > 0, else +0 (the reference's 0f), without a branch: the sign of a ReLU's input is as unpredictable
     * as the data.
     */
    private static float through(float dy, float x) {
        return Float.intBitsToFloat(Float.floatToRawIntBits(dy) & positiveMask(x));
    }

    /** All bits set where x > 0, else none. */
    private static int positiveMask(float x) {
        // x > 0 exactly when its bits less one lie in [0, 0x7f800000): +0 and the negatives fall outside below (as
        // signed or as wrapped), NaN above; +Inf is 0x7f800000 and counts
        int t = Float.floatToRawIntBits(x) - 1;
        return ~(t >> 31) & ((t - 0x7f800000) >> 31);
    }
}
