package io.kernelnet.train;

import io.kernelnet.nn.Model;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Keras EarlyStopping: stops when {@code monitor} has not improved by more than {@code minDelta} for
 * {@code patience} epochs; "min" for losses, "max" for accuracies. Optionally puts back the best epoch's weights.
 */
public final class EarlyStopping implements Callback {
    private final String monitor;
    private final double minDelta;
    private final int patience;
    private final boolean restoreBestWeights;
    private final boolean maximize;
    private double best;
    private int wait;
    private int stoppedEpoch = -1;
    private LinkedHashMap<String, float[]> bestWeights;

    public EarlyStopping(String monitor, double minDelta, int patience, boolean restoreBestWeights) {
        if (patience < 0 || minDelta < 0) {
            throw new IllegalArgumentException("EarlyStopping: patience and min_delta must be >= 0, got " + patience
                    + " and " + minDelta);
        }
        this.monitor = monitor;
        this.minDelta = minDelta;
        this.patience = patience;
        this.restoreBestWeights = restoreBestWeights;
        this.maximize = monitor.contains("acc");
    }

    @Override
    public void onTrainBegin(Model model) {
        best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        wait = 0;
        stoppedEpoch = -1;
        bestWeights = null;
    }

    @Override
    public void onEpochEnd(Model model, int epoch, Map<String, Double> logs) {
        Double value = logs.get(monitor);
        if (value == null) {
            throw new IllegalStateException("EarlyStopping monitors '" + monitor + "' but the epoch logged only "
                    + logs.keySet());
        }
        boolean improved = maximize ? value > best + minDelta : value < best - minDelta;
        if (improved) {
            best = value;
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
