package io.kernelnet.train;

import io.kernelnet.nn.Model;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras EarlyStopping: stops when {@code monitor} has not improved by more than {@code minDelta} for
 * {@code patience} epochs; "min" for losses, "max" for accuracies. Optionally puts back the best epoch's weights.
 */
public final class EarlyStopping implements Callback {
    private final Monitor monitor;
    private final double minDelta;
    private final int patience;
    private final boolean restoreBestWeights;
    private int wait;
    private int stoppedEpoch = -1;
    private LinkedHashMap<String, float[]> bestWeights;

    public EarlyStopping(String monitor, double minDelta, int patience, boolean restoreBestWeights) {
        if (patience < 0 || minDelta < 0) {
            throw new IllegalArgumentException("EarlyStopping: patience and min_delta must be >= 0, got " + patience
                    + " and " + minDelta);
        }
        this.monitor = new Monitor("EarlyStopping", monitor);
        this.minDelta = minDelta;
        this.patience = patience;
        this.restoreBestWeights = restoreBestWeights;
    }

    @Override
    public void onTrainBegin(Model model) {
        monitor.reset();
        wait = 0;
        stoppedEpoch = -1;
        bestWeights = null;
    }

    @Override
    public void onEpochEnd(Model model, int epoch, Map<String, Double> logs) {
        if (monitor.improvedBy(logs, minDelta)) {
            wait = 0;
            if (restoreBestWeights) {
                bestWeights = model.parameters();
            }
        } else if (++wait > patience) {
            stoppedEpoch = epoch;
            model.stopTraining();
        }
    }

    @Override
    public void onTrainEnd(Model model) {
        if (restoreBestWeights && bestWeights != null && stoppedEpoch >= 0) {
            bestWeights.forEach(model::setParameter);
        }
    }

    /** The epoch training stopped after, or -1 if it ran to the end. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }
}
