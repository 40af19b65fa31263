package io.kernelnet.train;

import java.util.LinkedHashMap;

/**
 * What a {@link Callback} sees of the model that fit() is training (Keras gives callbacks the model itself): the
 * optimizer, whose learning rate a schedule sets, the counters, the parameters, and a way to stop.
 */
public interface TrainingRun {
    Optimizer optimizer();

    /** Epochs completed, over every fit of this model (a resumed run continues the count). */
    int epochsDone();

    /** Optimizer steps taken, over every fit of this model. */
    long stepCount();

    /** Copies of the parameter values, by name ("dense/kernel"). */
    LinkedHashMap<String, float[]> parameters();

    /** Replaces parameter {@code name}'s values. */
    void setParameter(String name, float[] values);

    /** Asks fit() to stop after the current epoch (EarlyStopping). */
    void stopTraining();
}
