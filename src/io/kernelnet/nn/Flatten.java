package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import java.util.List;

/** Keras Flatten: [c, h, w] -> [c*h*w], a view of the same memory (row-major, so NCHW order). */
public final class Flatten extends Layer {
    public Flatten() {
        super("flatten");
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        return Shape.of(Math.toIntExact(inputs.get(0).size()));
    }

    @Override
    public boolean isView() {
        return true;
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        // the output aliases the input
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        // the input gradient aliases the output gradient
    }
}
