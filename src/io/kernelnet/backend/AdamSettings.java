package io.kernelnet.backend;

/**
 * Adam/AdamW's settings for {@link Backend#adamUpdate}; the learning rate lr and the step t >= 1 change from step
 * to step and come from the {@link StepScalars}. Adam adds weightDecay*p to g (L2); AdamW instead multiplies p by
 * (1 - lr*weightDecay) first (decoupled, as PyTorch's AdamW and Keras' AdamW do). Then
 * m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2, and with epsilon where {@code epsilonPlacement} puts it:
 * KERAS p -= lr * sqrt(1-b2^t)/(1-b1^t) * m / (sqrt(v) + epsilon);
 * PYTORCH p -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + epsilon).
 */
public record AdamSettings(float beta1, float beta2, float epsilon, AdamEpsilon epsilonPlacement, float weightDecay,
                           boolean decoupled) {
    public AdamSettings {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon > 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("adam: need 0 <= beta < 1, epsilon > 0, weightDecay >= 0: beta1="
                    + beta1 + " beta2=" + beta2 + " epsilon=" + epsilon + " weightDecay=" + weightDecay);
        }
        if (epsilonPlacement == null) {
            throw new IllegalArgumentException("adam: epsilonPlacement is null; expected KERAS or PYTORCH");
        }
    }

    /** 1 - beta1^t, in double: in float, 1 - 0.999^t loses most of its digits at small t. */
    public double biasCorrection1(long step) {
        return 1 - Math.pow(beta1, step);
    }

    /** 1 - beta2^t, in double. */
    public double biasCorrection2(long step) {
        return 1 - Math.pow(beta2, step);
    }
}
