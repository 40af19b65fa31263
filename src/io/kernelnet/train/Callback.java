package io.kernelnet.train;

import java.util.Map;

/**
 * Hooks into fit(), as Keras callbacks. Epochs and batches count from 0; logs hold loss, accuracy, val_* and lr.
 * Each hook gets the {@link TrainingRun} in progress.
 */
public interface Callback {
    default void onTrainBegin(TrainingRun run) {
    }

    default void onEpochBegin(TrainingRun run, int epoch) {
    }

    /**
     * Before batch {@code batch} of {@code epoch} (Keras' on_train_batch_begin): what it changes, such as the
     * learning rate, takes effect in that batch's step.
     */
    default void onBatchBegin(TrainingRun run, int epoch, int batch) {
    }

    default void onEpochEnd(TrainingRun run, int epoch, Map<String, Double> logs) {
    }

    default void onTrainEnd(TrainingRun run) {
    }
}
