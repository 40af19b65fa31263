package io.kernelnet.train;

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
    public void onTrainBegin(TrainingRun run) {
        monitor.reset();
        wait = 0;
        stoppedEpoch = -1;
        bestWeights = null;
    }

    @Override
    public void onEpochEnd(TrainingRun run, int epoch, Map<String, Double> logs) {
        if (monitor.improvedBy(logs, minDelta)) {
            wait = 0;
            if (restoreBestWeights) {
                bestWeights = run.parameters();
            }
        } else if (++wait > patience) {
            stoppedEpoch = epoch;
            run.stopTraining();
        }
    }

    @Override
    public void onTrainEnd(TrainingRun run) {
        if (restoreBestWeights && bestWeights != null && stoppedEpoch >= 0) {
            bestWeights.forEach(run::setParameter);
        }
    }

    /** The epoch training stopped after, or -1 if it ran to the end. */
    public int stoppedEpoch() {
        return stoppedEpoch;
    }
}
