package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import java.util.List;

/** Keras MaxPooling2D; keeps the index of each window's maximum to route the gradient back. */
public final class MaxPooling2D extends Pooling2D {
    public MaxPooling2D(int pool) {
        super("max_pooling2d", pool, pool);
    }

    public MaxPooling2D(int poolH, int poolW) {
        super("max_pooling2d", poolH, poolW);
    }

    @Override
    public List<Shape> scratch(List<Shape> inputs) {
        return List.of(outputShape(inputs));
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        backend.maxPool2dForward(step.output, step.scratch[0], step.input(), geometry(step));
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        if (step.dInput() != null) {
            backend.maxPool2dBackward(step.dInput(), step.dOutput, step.input(), step.output, step.scratch[0],
                    geometry(step));
        }
    }
}
