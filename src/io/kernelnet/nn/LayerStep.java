package io.kernelnet.nn;

import io.kernelnet.tensor.Tensor;

/**
 * What one layer sees during one forward or backward pass: views of the planned buffers cut to the current
 * batch size {@code n}. {@code dInputs[i]} is null when input i needs no gradient (the model's input).
 */
public final class LayerStep {
    public final int n;
    public final boolean training;
    public final Tensor[] inputs;
    public final Tensor output;
    public final Tensor[] dInputs;
    public final Tensor dOutput;
    public final Tensor[] params;
    public final Tensor[] grads;
    public final Tensor[] scratch;
    /** Philox seed and counter offset for this layer's random draw (dropout), fixed per step. */
    public final long seed;
    public final long randomOffset;

    LayerStep(int n, boolean training, Tensor[] inputs, Tensor output, Tensor[] dInputs, Tensor dOutput,
              Tensor[] params, Tensor[] grads, Tensor[] scratch, long seed, long randomOffset) {
        this.n = n;
        this.training = training;
        this.inputs = inputs;
        this.output = output;
        this.dInputs = dInputs;
        this.dOutput = dOutput;
        this.params = params;
        this.grads = grads;
        this.scratch = scratch;
        this.seed = seed;
        this.randomOffset = randomOffset;
    }

    public Tensor input() {
        return inputs[0];
    }

    public Tensor dInput() {
        return dInputs[0];
    }
}
