package io.kernelnet.backend;

/**
 * One SGD update, PyTorch's definition: g += weightDecay*p; v = momentum*v + g;
 * p -= lr * (nesterov ? g + momentum*v : v). With momentum 0 there is no velocity: p -= lr*g.
 */
public record SgdStep(float lr, float momentum, boolean nesterov, float weightDecay) {
    public SgdStep {
        if (!(lr >= 0) || !(momentum >= 0) || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("sgd: lr, momentum and weight decay must be non-negative: lr=" + lr
                    + " momentum=" + momentum + " weightDecay=" + weightDecay);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("sgd: nesterov needs momentum > 0");
        }
    }
}
