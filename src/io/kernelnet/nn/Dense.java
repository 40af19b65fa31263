package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Keras Dense: y = x W + b with kernel W [inputs, units] (Keras' layout) on a flat input [n, inputs]. */
public final class Dense extends BiasActivationLayer {
    private final int units;

    public Dense(int units) {
        super("dense");
        if (units <= 0) {
            throw new IllegalArgumentException("Dense: units must be positive, got " + units);
        }
        this.units = units;
    }

    public Dense(int units, String activation) {
        this(units);
        activation(activation);
    }

    public int units() {
        return units;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("units", units);
        return withActivationAndBias(c);
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        if (inputs.get(0).rank() != 1) {
            throw shapeError(inputs, "a flat [features] input (add a Flatten layer before Dense)");
        }
        return Shape.of(units);
    }

    @Override
    public List<ParamSpec> parameters(List<Shape> inputs) {
        int in = inputs.get(0).dim(0);
        return kernelAndBias(ParamSpec.glorot("kernel", Shape.of(in, units), in, units), units);
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        backend.gemmBiasActivation(step.output, step.input(), step.params[0], bias(step),
                step.fusedActivation, step.fusedAlpha);
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        Tensor dz = step.biasAndActivationBackward(backend, biasGradient(step));
        backend.gemm(step.grads[0], step.input(), true, dz, false, 1f, 0f);
        if (step.dInput() != null) {
            backend.gemm(step.dInput(), dz, false, step.params[0], true, 1f, 0f);
        }
    }
}
