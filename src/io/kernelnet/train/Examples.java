package io.kernelnet.train;

import io.kernelnet.tensor.Shape;

/**
 * A set of training or test examples as the model reads them: one example's input (and target) copied into a
 * batch array at a time. Class labels are targets of shape [] holding the class index.
 */
public interface Examples {
    int count();

    Shape inputShape();

    Shape targetShape();

    /** Copies example {@code index}'s input ({@code inputShape().size()} floats) into dst[dstOffset..]. */
    void copyInput(int index, float[] dst, int dstOffset);

    /** Copies example {@code index}'s target ({@code targetShape().size()} floats) into dst[dstOffset..]. */
    void copyTarget(int index, float[] dst, int dstOffset);

    /** Examples [from, to) of this set, without copying. */
    default Examples range(int from, int to) {
        Examples all = this;
        if (from < 0 || to > count() || from > to) {
            throw new IllegalArgumentException("range [" + from + ", " + to + ") of " + count() + " examples");
        }
        return new Examples() {
            public int count() {
                return to - from;
            }

            public Shape inputShape() {
                return all.inputShape();
            }

            public Shape targetShape() {
                return all.targetShape();
            }

            public void copyInput(int index, float[] dst, int dstOffset) {
                all.copyInput(from + index, dst, dstOffset);
            }

            public void copyTarget(int index, float[] dst, int dstOffset) {
                all.copyTarget(from + index, dst, dstOffset);
            }
        };
    }

    /** Examples over plain arrays: {@code inputs} holds count * inputShape.size() floats, and likewise targets. */
    static Examples of(float[] inputs, Shape inputShape, float[] targets, Shape targetShape) {
        long in = inputShape.size();
        long out = targetShape.size();
        if (in == 0 || inputs.length % in != 0 || (long) inputs.length / in * out != targets.length) {
            throw new IllegalArgumentException("examples: " + inputs.length + " input floats of shape " + inputShape
                    + " and " + targets.length + " target floats of shape " + targetShape + " do not make whole examples");
        }
        int count = (int) (inputs.length / in);
        return new Examples() {
            public int count() {
                return count;
            }

            public Shape inputShape() {
                return inputShape;
            }

            public Shape targetShape() {
                return targetShape;
            }

            public void copyInput(int index, float[] dst, int dstOffset) {
                System.arraycopy(inputs, (int) (index * in), dst, dstOffset, (int) in);
            }

            public void copyTarget(int index, float[] dst, int dstOffset) {
                System.arraycopy(targets, (int) (index * out), dst, dstOffset, (int) out);
            }
        };
    }
}
