package io.kernelnet.train;

import java.util.Map;

/**
 * The logged value a callback watches and the best seen so far, with Keras' 'auto' mode: higher is better for
 * accuracies, lower for everything else.
 */
public final class Monitor {
    private final String callback;
    private final String name;
    private final boolean maximize;
    private double best;

    public Monitor(String callback, String name) {
        this.callback = callback;
        this.name = name;
        this.maximize = name.contains("acc");
        reset();
    }

    public void reset() {
        best = maximize ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }

    public String name() {
        return name;
    }

    /** If this epoch's value beats the best by more than {@code minDelta}, it becomes the best: returns true. */
    public boolean improvedBy(Map<String, Double> logs, double minDelta) {
        Double value = logs.get(name);
        if (value == null) {
            throw new IllegalStateException(callback + " monitors '" + name + "' but the epoch logged only " + logs.keySet());
        }
        boolean improved = maximize ? value > best + minDelta : value < best - minDelta;
        if (improved) {
            best = value;
        }
        return improved;
    }
}
