package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keras' Softmax(axis) layer, and log-softmax over an axis (keras.ops.log_softmax(x, axis)). The axis counts as
 * Keras counts it, on the batched tensor: 0 is the batch axis (refused: it would mix the examples), 1 the first
 * per-example axis (the channels of an NCHW input), negative values from the end (-1, the default, the last).
 */
public final class Softmax extends Layer {
    private final int axis;
    private final boolean log;

    /** Softmax over the last axis. */
    public Softmax() {
        this(-1);
    }

    public Softmax(int axis) {
        this(axis, false);
    }

    Softmax(int axis, boolean log) {
        super("softmax");
        this.axis = axis;
        this.log = log;
    }

    /** Log-softmax over {@code axis}, counted as for {@link #Softmax(int)}. */
    public static Softmax logSoftmax(int axis) {
        return new Softmax(axis, true);
    }

    public int axis() {
        return axis;
    }

    public boolean isLog() {
        return log;
    }

    /**
     * Whether this is a softmax over the classes of a flat per-example {@code output} [classes]: then a
     * cross-entropy loss fuses with it, as with a softmax activation.
     */
    boolean normalizesClasses(Shape output) {
        return !log && output.rank() == 1 && (axis == -1 || axis == 1);
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("axis", axis);
        c.put("log", log);
        return c;
    }

    @Override
    public Shape outputShape(List<Shape> inputs) {
        Shape in = inputs.get(0);
        int batchedRank = in.rank() + 1;
        if (axis < -batchedRank || axis >= batchedRank) {
            throw shapeError(inputs, "an axis from " + -batchedRank + " to " + (batchedRank - 1) + " of the batched"
                    + " input for axis " + axis);
        }
        if (batchedAxis(batchedRank) == 0) {
            throw shapeError(inputs, "an axis other than the batch axis for axis " + axis
                    + " (a softmax over the batch would mix the examples)");
        }
        return in;
    }

    /** The axis of the batched tensor, 1 to rank - 1 once outputShape has accepted it. */
    private int batchedAxis(int batchedRank) {
        return axis < 0 ? axis + batchedRank : axis;
    }

    @Override
    public void forward(Backend backend, LayerStep step) {
        int a = batchedAxis(step.input().rank());
        if (log) {
            backend.logSoftmaxForward(step.output, step.input(), a);
        } else {
            backend.softmaxForward(step.output, step.input(), a);
        }
    }

    @Override
    public void backward(Backend backend, LayerStep step) {
        if (step.dInput() == null) {
            return;
        }
        int a = batchedAxis(step.output.rank());
        if (log) {
            backend.logSoftmaxBackward(step.dInput(), step.dOutput, step.output, a);
        } else {
            backend.softmaxBackward(step.dInput(), step.dOutput, step.output, a);
        }
    }
}
