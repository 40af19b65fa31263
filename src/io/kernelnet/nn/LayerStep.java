package io.kernelnet.nn;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.Backend;
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
    /** The step's scalars ({@link io.kernelnet.backend.StepScalars}): what changes from step to step, on the device. */
    public final Tensor stepScalars;
    /**
     * Philox seed and this layer's counter offset within the step for its random draw (dropout), the same every
     * step of a shape; the step's generator position is in {@link #stepScalars}.
     */
    public final long seed;
    public final long randomOffset;
    /**
     * The layer's own activation when the model fused it into the layer's epilogue, else null (then
     * {@link #fusedAlpha}, LeakyReLU's slope, is unused).
     */
    public final Activation fusedActivation;
    public final float fusedAlpha;

    LayerStep(int n, boolean training, Tensor[] inputs, Tensor output, Tensor[] dInputs, Tensor dOutput,
              Tensor[] params, Tensor[] grads, Tensor[] scratch, Tensor stepScalars, long seed, long randomOffset,
              Activation fusedActivation, float fusedAlpha) {
        this.n = n;
        this.training = training;
        this.inputs = inputs;
        this.output = output;
        this.dInputs = dInputs;
        this.dOutput = dOutput;
        this.params = params;
        this.grads = grads;
        this.scratch = scratch;
        this.stepScalars = stepScalars;
        this.seed = seed;
        this.randomOffset = randomOffset;
        this.fusedActivation = fusedActivation;
        this.fusedAlpha = fusedAlpha;
    }

    /**
     * The epilogue of a layer whose output holds z = its linear part: output = z + bias (bias null: none), or with
     * a fused activation output = act(z + bias) in one pass, in place.
     */
    public void biasAndActivation(Backend backend, Tensor bias) {
        if (fusedActivation != null) {
            backend.biasActivationForward(output, output, bias, fusedActivation, fusedAlpha);
        } else if (bias != null) {
            backend.biasAdd(output, bias);
        }
    }

    /**
     * The epilogue's backward: writes dBias (null: no bias) and returns the gradient at z, which is dOutput itself,
     * overwritten in place with dOutput * act'(z) when the activation is fused (no one reads dOutput after this
     * layer's backward).
     */
    public Tensor biasAndActivationBackward(Backend backend, Tensor dBias) {
        if (fusedActivation != null) {
            backend.biasActivationBackward(dOutput, dBias, dOutput, output, fusedActivation, fusedAlpha);
        } else if (dBias != null) {
            backend.biasGrad(dBias, dOutput);
        }
        return dOutput;
    }

    public Tensor input() {
        return inputs[0];
    }

    public Tensor dInput() {
        return dInputs[0];
    }
}
