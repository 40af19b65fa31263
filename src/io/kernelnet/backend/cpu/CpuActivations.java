package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Activation;
import io.kernelnet.tensor.Tensor;
import java.util.function.IntConsumer;

/**
 * Elementwise activations and the softmax family over any axis (PyTorch definitions). Every loop reads element i
 * of its inputs before it writes element i of its output, so that y may be x and dx may be dy (in-place layers).
 * Softmax sums are taken in double after subtracting the line's maximum.
 */
final class CpuActivations {
    private CpuActivations() {
    }

    static void forward(Tensor y, Tensor x, Activation act, float alpha) {
        float[] ya = y.hostArray();
        float[] xa = x.hostArray();
        int yo = (int) y.offset();
        int xo = (int) x.offset();
        int n = (int) x.size();
        for (int i = 0; i < n; i++) {
            ya[yo + i] = apply(act, xa[xo + i], alpha);
        }
    }

    private static float apply(Activation act, float v, float alpha) {
        return switch (act) {
            case RELU -> Math.max(v, 0f);
            case LEAKY_RELU -> v > 0 ? v : alpha * v;
            case SIGMOID -> (float) (1.0 / (1.0 + Math.exp(-v)));
            case TANH -> (float) Math.tanh(v);
        };
    }

    /** The ReLUs read their derivative from x, sigmoid and tanh from y; the tensor not read may be null. */
    static void backward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        boolean fromInput = act == Activation.RELU || act == Activation.LEAKY_RELU;
        Tensor saved = fromInput ? x : y;
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        float[] sa = saved.hostArray();
        int dxo = (int) dx.offset();
        int dyo = (int) dy.offset();
        int so = (int) saved.offset();
        int n = (int) dy.size();
        for (int i = 0; i < n; i++) {
            dxa[dxo + i] = chain(act, dya[dyo + i], sa[so + i], alpha);
        }
    }

    /** g * act'(.) from s: x for the ReLUs, y for sigmoid and tanh. */
    private static float chain(Activation act, float g, float s, float alpha) {
        return switch (act) {
            case RELU -> s > 0 ? g : 0f;
            case LEAKY_RELU -> s > 0 ? g : alpha * g;
            case SIGMOID -> g * s * (1 - s);
            case TANH -> g * (1 - s * s);
        };
    }

    /**
     * y = act(z + bias[c]): the float sum biasAdd makes, then {@link #forward}'s activation, so that the fused
     * epilogue gives the unfused ops' bits.
     */
    static void biasForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha, int samples, int channels,
                            int inner) {
        float[] ya = y.hostArray();
        float[] za = z.hostArray();
        for (int s = 0; s < samples; s++) {
            for (int ch = 0; ch < channels; ch++) {
                float b = bias == null ? 0f : bias.hostArray()[(int) bias.offset() + ch];
                int start = (s * channels + ch) * inner;
                for (int j = 0; j < inner; j++) {
                    float v = za[(int) z.offset() + start + j];
                    ya[(int) y.offset() + start + j] = apply(act, bias == null ? v : v + b, alpha);
                }
            }
        }
    }

    /**
     * dz = dy * act'(z) read from y (for the ReLUs y > 0 exactly when z > 0, given alpha >= 0), and dBias summed
     * in double in biasGrad's order, so that the fused backward gives the unfused ops' bits.
     */
    static void biasBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha, int samples,
                             int channels, int inner) {
        float[] dza = dz.hostArray();
        float[] dya = dy.hostArray();
        float[] ya = y.hostArray();
        double[] sum = new double[channels];
        for (int s = 0; s < samples; s++) {
            for (int ch = 0; ch < channels; ch++) {
                int start = (s * channels + ch) * inner;
                double run = 0;
                for (int j = 0; j < inner; j++) {
                    float g = chain(act, dya[(int) dy.offset() + start + j], ya[(int) y.offset() + start + j], alpha);
                    dza[(int) dz.offset() + start + j] = g;
                    run += g;
                }
                sum[ch] += run;
            }
        }
        if (dBias != null) {
            for (int ch = 0; ch < channels; ch++) {
                dBias.hostArray()[(int) dBias.offset() + ch] = (float) sum[ch];
            }
        }
    }

    /**
     * Softmax ({@code log}: log-softmax) along one axis, x seen as [outer, k, inner] (ShapeChecks.softmaxAxis):
     * each of the outer * inner lines of k values, stride inner, is one softmax.
     */
    static void softmaxForward(Tensor y, Tensor x, boolean log, int outer, int k, int inner) {
        float[] ya = y.hostArray();
        float[] xa = x.hostArray();
        int stride = inner;
        forEachLine(outer, k, inner, start -> {
            int xb = (int) x.offset() + start;
            int yb = (int) y.offset() + start;
            double lse = logSumExp(xa, xb, k, stride);
            for (int j = 0; j < k; j++) {
                double shifted = xa[xb + j * stride] - lse;
                ya[yb + j * stride] = (float) (log ? shifted : Math.exp(shifted));
            }
        });
    }

    /** Along each line: softmax dx = y * (dy - sum(dy * y)); log-softmax dx = dy - exp(y) * sum(dy). */
    static void softmaxBackward(Tensor dx, Tensor dy, Tensor y, boolean log, int outer, int k, int inner) {
        float[] dxa = dx.hostArray();
        float[] dya = dy.hostArray();
        float[] ya = y.hostArray();
        int stride = inner;
        forEachLine(outer, k, inner, start -> {
            int dxb = (int) dx.offset() + start;
            int dyb = (int) dy.offset() + start;
            int yb = (int) y.offset() + start;
            double sum = 0;
            for (int j = 0; j < k; j++) {
                sum += log ? dya[dyb + j * stride] : (double) dya[dyb + j * stride] * ya[yb + j * stride];
            }
            for (int j = 0; j < k; j++) {
                double g = dya[dyb + j * stride];
                double v = ya[yb + j * stride];
                dxa[dxb + j * stride] = (float) (log ? g - Math.exp(v) * sum : v * (g - sum));
            }
        });
    }

    /**
     * log(sum(exp(a[base + j * stride]))) over j < k as max + log(sum(exp(a - max))) in double: no overflow for
     * large logits, and softmax = exp(a - lse), log-softmax = a - lse. Shared with the cross-entropy losses.
     */
    static double logSumExp(float[] a, int base, int k, int stride) {
        float max = a[base];
        for (int j = 1; j < k; j++) {
            max = Math.max(max, a[base + j * stride]);
        }
        double sum = 0;
        for (int j = 0; j < k; j++) {
            sum += Math.exp((double) a[base + j * stride] - max);
        }
        return max + Math.log(sum);
    }

    /** Calls {@code line} with the element offset of the first value of each line, outer-major. */
    private static void forEachLine(int outer, int k, int inner, IntConsumer line) {
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < inner; i++) {
                line.accept(o * k * inner + i);
            }
        }
    }
}
