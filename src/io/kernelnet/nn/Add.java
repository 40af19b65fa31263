package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import java.util.List;

/** Keras Add of two inputs of the same shape (a residual connection in the functional API). */
public final class Add extends Layer {
    public Add() {
        super("add");
    }

    @Override
    public int inputCount() {
        return 2;
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        if (!inputs.get(0).equals(inputs.get(1))) {
            throw shapeError(inputs, "two inputs of the same shape");
        }
        return inputs.get(0);
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        backend.add(step.output, step.inputs[0], step.inputs[1]);
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        for (var dIn : step.dInputs) {
            if (dIn != null) {
                backend.copy(dIn, step.dOutput);
            }
        }
    }
}
