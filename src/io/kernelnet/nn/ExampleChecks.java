package io.kernelnet.nn;

import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Examples;
import io.kernelnet.train.Loss;

/** Refuses examples a model cannot take, before any of them reaches the device, naming the op and the example. */
final class ExampleChecks {
    private ExampleChecks() {
    }

    /** Inputs of another shape than {@code inputShape}, or holding a non-finite value. */
    static void inputs(String op, Examples data, Shape inputShape) {
        if (!data.inputShape().equals(inputShape)) {
            throw new IllegalArgumentException(op + ": examples have input shape " + data.inputShape()
                    + ", the model expects " + inputShape);
        }
        float[] values = new float[Math.toIntExact(data.inputShape().size())];
        for (int e = 0; e < data.count(); e++) {
            data.copyInput(e, values, 0);
            int at = firstNonFinite(values);
            if (at >= 0) {
                throw new IllegalArgumentException(op + ": example " + e + " has a non-finite input value " + values[at]
                        + " at position " + at + " of its " + data.inputShape());
            }
        }
    }

    /**
     * {@link #inputs}, and targets: of the shape {@code loss} takes on {@code output}, finite, and for integer labels
     * a class index of the output, naming the example, the label and the valid range.
     */
    static void examples(String op, Examples data, Shape inputShape, Shape output, Loss loss) {
        inputs(op, data, inputShape);
        Shape expected = loss.targetShape(output);
        if (!data.targetShape().equals(expected)) {
            throw new IllegalArgumentException(op + ": examples have target shape " + data.targetShape() + ", "
                    + loss.kerasName() + " on output " + output + " expects " + expected);
        }
        float[] target = new float[Math.toIntExact(expected.size())];
        for (int e = 0; e < data.count(); e++) {
            data.copyTarget(e, target, 0);
            if (loss == Loss.SPARSE_CATEGORICAL_CROSSENTROPY) {
                float label = target[0];
                int classes = output.dim(-1);
                if (!(label >= 0 && label < classes && label == Math.rint(label))) {
                    throw new IllegalArgumentException(op + ": example " + e + " has label " + label
                            + ", not a class index in [0, " + classes + ") of the model's output " + output);
                }
            } else {
                int at = firstNonFinite(target);
                if (at >= 0) {
                    throw new IllegalArgumentException(op + ": example " + e + " has a non-finite target value "
                            + target[at] + " at position " + at + " of its " + expected);
                }
            }
        }
    }

    /** Index of the first NaN or infinity in {@code values}, or -1. */
    static int firstNonFinite(float[] values) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }
}
