package io.kernelnet.nn;

import io.kernelnet.backend.Backend;

/** Keras AveragePooling2D: the mean over the unpadded part of each window. */
public final class AveragePooling2D extends Pooling2D {
    public AveragePooling2D(int pool) {
        super(pool, pool);
    }

    public AveragePooling2D(int poolH, int poolW) {
        super(poolH, poolW);
    }

    @Override
    public String kind() {
        return "average_pooling2d";
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        backend.avgPool2dForward(step.output, step.input(), geometry(step.n, step.input().shape().perExample()));
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        if (step.dInput() != null) {
            backend.avgPool2dBackward(step.dInput(), step.dOutput, geometry(step.n, step.input().shape().perExample()));
        }
    }
}
