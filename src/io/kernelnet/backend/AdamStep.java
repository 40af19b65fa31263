package io.kernelnet.backend;

/**
 * One Adam/AdamW update for step t >= 1. Adam adds weightDecay*p to g (L2); AdamW instead multiplies p by
 * (1 - lr*weightDecay) first (decoupled, as PyTorch's AdamW and Keras' AdamW do). Then
 * m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2, and with epsilon where {@code epsilonPlacement} puts it:
 * KERAS p -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + epsilon);
 * PYTORCH p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + epsilon).
 */
public record AdamStep(float lr, float beta1, float beta2, float epsilon, AdamEpsilon epsilonPlacement,
                       float weightDecay, boolean decoupled, long step) {
    public AdamStep {
        if (!(lr >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0)
                || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("adam: need lr >= 0, 0 <= beta < 1, epsilon > 0, weightDecay >= 0: lr="
                    + lr + " beta1=" + beta1 + " beta2=" + beta2 + " epsilon=" + epsilon + " weightDecay=" + weightDecay);
        }
        if (epsilonPlacement == null) {
            throw new IllegalArgumentException("adam: epsilonPlacement is null; expected KERAS or PYTORCH");
        }
        if (step < 1) {
            throw new IllegalArgumentException("adam: step counts from 1, got " + step);
        }
    }

    /** This update at step {@code t} with learning rate {@code rate}, the other settings the same. */
    public AdamStep at(long t, float rate) {
        return new AdamStep(rate, beta1, beta2, epsilon, epsilonPlacement, weightDecay, decoupled, t);
    }

    /** 1 - beta1^t, in double: in float, 1 - 0.999^t loses most of its digits at small t. */
    public double biasCorrection1() {
        return 1 - Math.pow(beta1, step);
    }

    /** 1 - beta2^t, in double. */
    public double biasCorrection2() {
        return 1 - Math.pow(beta2, step);
    }
}
