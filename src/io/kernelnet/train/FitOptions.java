package io.kernelnet.train;

import java.util.ArrayList;
import java.util.List;

/** fit()'s keyword arguments, Keras' defaults: batch 32, 1 epoch, shuffle on, verbose; the finite check on. */
public final class FitOptions {
    int epochs = 1;
    int batchSize = 32;
    Examples validationData;
    double validationSplit;
    boolean shuffle = true;
    final List<Callback> callbacks = new ArrayList<>();
    int verbose = 1;
    long shuffleSeed = 0;
    boolean checkFinite = true;

    public static FitOptions defaults() {
        return new FitOptions();
    }

    public FitOptions epochs(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("fit: epochs must be >= 0, got " + value);
        }
        epochs = value;
        return this;
    }

    public FitOptions batchSize(int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("fit: batch size must be positive, got " + value);
        }
        batchSize = value;
        return this;
    }

    public FitOptions validationData(Examples value) {
        validationData = value;
        return this;
    }

    /** The last fraction of the training examples (before shuffling) held out for validation, as in Keras. */
    public FitOptions validationSplit(double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException("fit: validation split must be in [0, 1), got " + value);
        }
        validationSplit = value;
        return this;
    }

    public FitOptions shuffle(boolean value) {
        shuffle = value;
        return this;
    }

    /**
     * Epoch e's order is a function of (shuffleSeed, the model's seed, e) alone, so a run resumed from a
     * checkpoint with the same shuffle seed sees the order the uninterrupted run would have.
     */
    public FitOptions shuffleSeed(long value) {
        shuffleSeed = value;
        return this;
    }

    public FitOptions callbacks(Callback... values) {
        callbacks.addAll(List.of(values));
        return this;
    }

    /** 0: silent; 1: a progress bar on a terminal, one line per epoch otherwise. */
    public FitOptions verbose(int value) {
        verbose = value;
        return this;
    }

    /**
     * Whether each step checks, before the optimizer update, that the loss and the gradients are finite, and
     * otherwise throws {@link TrainingDivergedException} naming the epoch, the step and the first layer at fault.
     * Costs one backend sum over the gradients and one flag kernel per step, all on the device: the bad step's
     * update (and every later one) is skipped there, and fit throws when it next reads the steps' numbers.
     */
    public FitOptions checkFinite(boolean value) {
        checkFinite = value;
        return this;
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    public Examples validationData() {
        return validationData;
    }

    public double validationSplit() {
        return validationSplit;
    }

    public boolean shuffle() {
        return shuffle;
    }

    public long shuffleSeed() {
        return shuffleSeed;
    }

    public List<Callback> callbacks() {
        return List.copyOf(callbacks);
    }

    public int verbose() {
        return verbose;
    }

    public boolean checkFinite() {
        return checkFinite;
    }
}
