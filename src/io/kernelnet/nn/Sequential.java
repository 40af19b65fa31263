package io.kernelnet.nn;

/** Keras Sequential: layers applied one after another to one input. */
public final class Sequential extends Model {
    /** A model for examples of the given per-example shape ([1, 28, 28] for MNIST images). */
    public Sequential(int... inputShape) {
        super(Node.input(inputShape), null);
        this.output = this.input;
    }

    public Sequential add(Layer layer) {
        if (isBuilt()) {
            throw new IllegalStateException("add: the model is already built");
        }
        output = layer.apply(output);
        return this;
    }
}
