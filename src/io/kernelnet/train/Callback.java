package io.kernelnet.train;

import io.kernelnet.nn.Model;
import java.util.Map;

/** Hooks into fit(), as Keras callbacks. Epochs count from 0; logs hold loss, accuracy, val_* and lr. */
public interface Callback {
    default void onTrainBegin(Model model) {
    }

    default void onEpochBegin(Model model, int epoch) {
    }

    default void onEpochEnd(Model model, int epoch, Map<String, Double> logs) {
    }

    default void onTrainEnd(Model model) {
    }
}
