package io.kernelnet.nn;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras' Activation layer: relu, leaky_relu, sigmoid, tanh, softmax, log_softmax or linear. Softmax runs over
 * the last axis of a [n, k] input ({@link Softmax} over any axis). leaky_relu's slope defaults to 0.2
 * (keras.activations.leaky_relu).
 */
public final class ActivationLayer extends Layer {
    public static final float DEFAULT_LEAKY_SLOPE = 0.2f;
    /** The features of the flat [n, features] input that softmax and log_softmax normalize. */
    private static final int CLASS_AXIS = 1;

    private final String function;
    private final float alpha;

    public ActivationLayer(String function) {
        this(function, DEFAULT_LEAKY_SLOPE);
    }

    public ActivationLayer(String function, float alpha) {
        super("activation");
        checkName(function);
        this.function = function;
        this.alpha = alpha;
    }

    /** Refuses an unknown activation name, listing the known ones. */
    public static void checkName(String function) {
        switch (function) {
            case "relu", "leaky_relu", "sigmoid", "tanh", "softmax", "log_softmax", "linear" -> {
            }
            default -> throw new IllegalArgumentException("unknown activation '" + function
                    + "': expected relu, leaky_relu, sigmoid, tanh, softmax, log_softmax or linear");
        }
    }

    public String function() {
        return function;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("activation", function);
        c.put("alpha", (double) alpha);
        return c;
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        Shape in = inputs.get(0);
        if ((function.equals("softmax") || function.equals("log_softmax")) && in.rank() != 1) {
            throw shapeError(inputs, "a flat [features] input for " + function);
        }
        return in;
    }

    private Activation elementwise() {
        return elementwise(function);
    }

    /** The backend's elementwise activation of that name, or null for softmax, log_softmax and linear. */
    static Activation elementwise(String function) {
        return switch (function) {
            case "relu" -> Activation.RELU;
            case "leaky_relu" -> Activation.LEAKY_RELU;
            case "sigmoid" -> Activation.SIGMOID;
            case "tanh" -> Activation.TANH;
            default -> null;
        };
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        switch (function) {
            case "softmax" -> backend.softmaxForward(step.output, step.input(), CLASS_AXIS);
            case "log_softmax" -> backend.logSoftmaxForward(step.output, step.input(), CLASS_AXIS);
            case "linear" -> backend.copy(step.output, step.input());
            default -> backend.activationForward(step.output, step.input(), elementwise(), alpha);
        }
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        if (step.dInput() == null) {
            return;
        }
        switch (function) {
            case "softmax" -> backend.softmaxBackward(step.dInput(), step.dOutput, step.output, CLASS_AXIS);
            case "log_softmax" -> backend.logSoftmaxBackward(step.dInput(), step.dOutput, step.output, CLASS_AXIS);
            case "linear" -> backend.copy(step.dInput(), step.dOutput);
            default -> backend.activationBackward(step.dInput(), step.dOutput, step.input(), step.output,
                    elementwise(), alpha);
        }
    }
}
