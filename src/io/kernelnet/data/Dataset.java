package io.kernelnet.data;

import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Examples;

/**
 * Labelled examples in memory: images as float32 in NCHW order (one example of shape {@link #exampleShape()},
 * e.g. [1, 28, 28]) and one class index per example, stored as a float in [0, numClasses). Construction refuses
 * labels outside that range and non-finite inputs, naming the example.
 *
 * <p>The model copies batches out one example at a time in its own (shuffled) order, so the data never moves.
 */
public final class Dataset implements Examples {
    private final float[] images;
    private final float[] labels;
    private final Shape exampleShape;
    private final int exampleSize;
    private final int numClasses;

    /** Takes ownership of the arrays. */
    public Dataset(float[] images, Shape exampleShape, float[] labels, int numClasses) {
        long size = exampleShape.size();
        if (size <= 0 || numClasses <= 0) {
            throw new IllegalArgumentException("dataset needs a non-empty example shape and classes, got "
                    + exampleShape + " and " + numClasses + " classes");
        }
        if ((long) labels.length * size != images.length) {
            throw new IllegalArgumentException("dataset: " + labels.length + " labels need " + labels.length * size
                    + " image values of shape " + exampleShape + ", got " + images.length);
        }
        for (int i = 0; i < labels.length; i++) {
            float l = labels[i];
            if (!(l >= 0 && l < numClasses && l == Math.rint(l))) {
                throw new IllegalArgumentException("dataset: label " + i + " is " + l
                        + ", not a class index in [0, " + numClasses + ")");
            }
        }
        for (int v = 0; v < images.length; v++) {
            if (!Float.isFinite(images[v])) {
                throw new IllegalArgumentException("dataset: example " + v / size + " has a non-finite input value "
                        + images[v] + " at position " + v % size + " of its " + exampleShape);
            }
        }
        this.images = images;
        this.labels = labels;
        this.exampleShape = exampleShape;
        this.exampleSize = (int) size;
        this.numClasses = numClasses;
    }

    public int count() {
        return labels.length;
    }

    /** The shape of one example, without the batch dimension. */
    public Shape exampleShape() {
        return exampleShape;
    }

    /** Values per example. */
    public int exampleSize() {
        return exampleSize;
    }

    public int numClasses() {
        return numClasses;
    }

    public int label(int example) {
        return (int) labels[example];
    }

    /** How many examples each class has. */
    public int[] classCounts() {
        int[] counts = new int[numClasses];
        for (float l : labels) {
            counts[(int) l]++;
        }
        return counts;
    }

    @Override
    public Shape inputShape() {
        return exampleShape;
    }

    /** A class index: a scalar per example. */
    @Override
    public Shape targetShape() {
        return Shape.of();
    }

    @Override
    public void copyInput(int index, float[] dst, int dstOffset) {
        System.arraycopy(images, index * exampleSize, dst, dstOffset, exampleSize);
    }

    @Override
    public void copyTarget(int index, float[] dst, int dstOffset) {
        dst[dstOffset] = labels[index];
    }
}
