package io.kernelnet.train;

import io.kernelnet.tensor.Shape;

/**
 * The losses Keras users name. Cross-entropies take the logits before a final softmax (fused: the stable
 * gradient probs - target), so a model compiled with one must end in a softmax activation.
 */
public enum Loss {
    MSE("mse"),
    CATEGORICAL_CROSSENTROPY("categorical_crossentropy"),
    SPARSE_CATEGORICAL_CROSSENTROPY("sparse_categorical_crossentropy");

    private final String kerasName;

    Loss(String kerasName) {
        this.kerasName = kerasName;
    }

    public String kerasName() {
        return kerasName;
    }

    public static Loss named(String name) {
        for (Loss l : values()) {
            if (l.kerasName.equals(name) || (l == MSE && name.equals("mean_squared_error"))) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown loss '" + name
                + "': expected mse, categorical_crossentropy or sparse_categorical_crossentropy");
    }

    public boolean isCrossEntropy() {
        return this != MSE;
    }

    /** Per-example target shape for a model output of {@code output} per example. */
    public Shape targetShape(Shape output) {
        return this == SPARSE_CATEGORICAL_CROSSENTROPY ? Shape.of() : output;
    }
}
