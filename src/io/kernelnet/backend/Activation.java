package io.kernelnet.backend;

/** Elementwise activations with a closed-form derivative. Softmax, being row-wise, has its own ops. */
public enum Activation {
    /** max(x, 0); derivative 0 at x = 0 (PyTorch). */
    RELU,
    /** x if x > 0 else alpha*x (Keras default alpha 0.3 in the layer API; PyTorch 0.01). */
    LEAKY_RELU,
    /** 1 / (1 + exp(-x)). */
    SIGMOID,
    /** tanh(x). */
    TANH
}
