package io.kernelnet.backend.cpu;

import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Tensor;

/**
 * Mean losses over the batch (Keras/PyTorch definitions), each writing the gradient of that mean. Losses are
 * accumulated in double; the softmax uses the max-subtracted log-sum-exp so that large logits do not overflow.
 */
final class CpuLosses {
    private CpuLosses() {
    }

    /** mean((pred - target)^2) over all elements; dPred = 2 (pred - target) / size. */
    static float mse(Tensor dPred, Tensor pred, Tensor target) {
        float[] da = dPred.hostArray();
        float[] pa = pred.hostArray();
        float[] ta = target.hostArray();
        int dpo = (int) dPred.offset();
        int po = (int) pred.offset();
        int to = (int) target.offset();
        int n = (int) pred.size();
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double diff = (double) pa[po + i] - ta[to + i];
            sum += diff * diff;
            da[dpo + i] = (float) (2 * diff / n);
        }
        return (float) (sum / n);
    }

    /** mean of logsumexp(z) - z[label]; probs = softmax(z); dLogits = (probs - onehot(label)) / n. */
    static float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels, int n,
                                           int k) {
        float[] label = labels.toArray();
        ShapeChecks.labels("softmaxCrossEntropySparse", label, k);
        float[] za = logits.hostArray();
        float[] pa = probs.hostArray();
        float[] da = dLogits.hostArray();
        double total = 0;
        for (int r = 0; r < n; r++) {
            int zb = (int) logits.offset() + r * k;
            int pb = (int) probs.offset() + r * k;
            int db = (int) dLogits.offset() + r * k;
            int c = (int) label[r];
            double lse = CpuActivations.logSumExp(za, zb, k, 1);
            total += lse - za[zb + c];
            for (int j = 0; j < k; j++) {
                double p = Math.exp(za[zb + j] - lse);
                pa[pb + j] = (float) p;
                da[db + j] = (float) ((p - (j == c ? 1 : 0)) / n);
            }
        }
        return (float) (total / n);
    }

    /**
     * mean of -sum(t * log softmax(z)) = sum(t) * logsumexp(z) - sum(t * z); probs = softmax(z);
     * dLogits = (probs * sum(t) - t) / n, which holds for targets that do not sum to 1 as well.
     */
    static float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets, int n, int k) {
        float[] za = logits.hostArray();
        float[] ta = targets.hostArray();
        float[] pa = probs.hostArray();
        float[] da = dLogits.hostArray();
        double total = 0;
        for (int r = 0; r < n; r++) {
            int zb = (int) logits.offset() + r * k;
            int tb = (int) targets.offset() + r * k;
            int pb = (int) probs.offset() + r * k;
            int db = (int) dLogits.offset() + r * k;
            double lse = CpuActivations.logSumExp(za, zb, k, 1);
            double targetSum = 0;
            for (int j = 0; j < k; j++) {
                double t = ta[tb + j];
                targetSum += t;
                total += t * (lse - za[zb + j]);
            }
            for (int j = 0; j < k; j++) {
                double p = Math.exp(za[zb + j] - lse);
                double t = ta[tb + j];
                pa[pb + j] = (float) p;
                da[db + j] = (float) ((p * targetSum - t) / n);
            }
        }
        return (float) (total / n);
    }
}
