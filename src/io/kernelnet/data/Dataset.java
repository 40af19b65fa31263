package io.kernelnet.data;

import io.kernelnet.tensor.Shape;
import java.util.Arrays;
import java.util.Random;

/**
 * Labelled examples in memory: images as float32 in NCHW order (one example of shape {@link #exampleShape()},
 * e.g. [1, 28, 28]) and one class index per example, stored as a float in [0, numClasses).
 *
 * <p>Batches are copied out through an example order ({@link #sequentialOrder()} or {@link #shuffledOrder}), so
 * shuffling never moves the data itself.
 */
public final class Dataset {
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

    /** 0, 1, ..., count() - 1. */
    public int[] sequentialOrder() {
        int[] order = new int[count()];
        Arrays.setAll(order, i -> i);
        return order;
    }

    /** A uniformly random permutation of the examples (Fisher-Yates), reproducible from the generator's seed. */
    public int[] shuffledOrder(Random random) {
        int[] order = sequentialOrder();
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    /** Copies the images of examples order[from], ..., order[from + n - 1] into the start of {@code dst}. */
    public void copyImages(int[] order, int from, int n, float[] dst) {
        checkRange(order, from, n, dst, exampleSize);
        for (int k = 0; k < n; k++) {
            System.arraycopy(images, order[from + k] * exampleSize, dst, k * exampleSize, exampleSize);
        }
    }

    /** Copies the labels of examples order[from], ..., order[from + n - 1] into the start of {@code dst}. */
    public void copyLabels(int[] order, int from, int n, float[] dst) {
        checkRange(order, from, n, dst, 1);
        for (int k = 0; k < n; k++) {
            dst[k] = labels[order[from + k]];
        }
    }

    private void checkRange(int[] order, int from, int n, float[] dst, int perExample) {
        if (from < 0 || n < 0 || from + n > order.length) {
            throw new IllegalArgumentException("dataset: examples [" + from + ", " + (from + n)
                    + ") are outside the order of length " + order.length);
        }
        if ((long) n * perExample > dst.length) {
            throw new IllegalArgumentException("dataset: " + n + " examples need " + (long) n * perExample
                    + " values, destination holds " + dst.length);
        }
    }

    /** A copy of examples [from, to). */
    public Dataset slice(int from, int to) {
        if (from < 0 || to < from || to > count()) {
            throw new IllegalArgumentException("dataset: slice [" + from + ", " + to + ") of " + count() + " examples");
        }
        return new Dataset(Arrays.copyOfRange(images, from * exampleSize, to * exampleSize), exampleShape,
                Arrays.copyOfRange(labels, from, to), numClasses);
    }

    public record Split(Dataset train, Dataset validation) {
    }

    /**
     * Holds out the last {@code validationFraction} of the examples (rounded to a whole example) for validation.
     * The bundled and standard MNIST training files are not sorted by class, so the tail is a fair sample.
     */
    public Split split(double validationFraction) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1), got " + validationFraction);
        }
        int trainCount = count() - (int) Math.round(count() * validationFraction);
        return new Split(slice(0, trainCount), slice(trainCount, count()));
    }
}
