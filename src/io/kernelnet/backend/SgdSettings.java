package io.kernelnet.backend;

/**
 * SGD's settings for {@link Backend#sgdUpdate}; the learning rate lr changes from step to step and comes from the
 * {@link StepScalars}. PyTorch's definition of momentum and Nesterov: v = momentum*v + g;
 * p -= lr * (nesterov ? g + momentum*v : v); with momentum 0 there is no velocity: p -= lr*g. Weight decay,
 * L2 (PyTorch's SGD, Keras 2's kernel regularizer): g += weightDecay*p first; decoupled (Keras 3's SGD
 * weight_decay): p *= 1 - lr*weightDecay first, and g is used as it is.
 */
public record SgdSettings(float momentum, boolean nesterov, float weightDecay, boolean decoupled) {
    public SgdSettings {
        if (!(momentum >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("sgd: momentum and weight decay must be non-negative: momentum="
                    + momentum + " weightDecay=" + weightDecay);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("sgd: nesterov needs momentum > 0");
        }
    }
}
