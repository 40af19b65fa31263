package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Keras Dropout (inverted): zeroes a fraction {@code rate} while training and scales the rest; identity otherwise. */
public final class Dropout extends Layer {
    private final float rate;

    public Dropout(double rate) {
        super("dropout");
        if (!(rate >= 0 && rate < 1)) {
            throw new IllegalArgumentException("Dropout: rate must be in [0, 1), got " + rate);
        }
        this.rate = (float) rate;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("rate", (double) rate);
        return c;
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        return inputs.get(0);
    }

    @Override
    public List<Shape> scratch(List<Shape> inputs) {
        return List.of(inputs.get(0));
    }

    @Override
    public boolean usesRandom() {
        return true;
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        if (step.training) {
            backend.dropoutForward(step.output, step.scratch[0], step.input(), step.stepScalars, rate, step.seed,
                    step.randomOffset);
        } else {
            backend.copy(step.output, step.input());
        }
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        if (step.dInput() != null) {
            backend.dropoutBackward(step.dInput(), step.dOutput, step.scratch[0]);
        }
    }
}
