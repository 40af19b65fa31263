package io.kernelnet.nn;

import io.kernelnet.backend.Backend;

/** Keras AveragePooling2D: the mean over the unpadded part of each window. */
public final class AveragePooling2D extends Pooling2D {
    public AveragePooling2D(int pool) {
        super("average_pooling2d", pool, pool);
    }

    public AveragePooling2D(int poolH, int poolW) {
        super("average_pooling2d", poolH, poolW);
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        backend.avgPool2dForward(step.output, step.input(), geometry(step));
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        if (step.dInput() != null) {
            backend.avgPool2dBackward(step.dInput(), step.dOutput, geometry(step));
        }
    }
}
