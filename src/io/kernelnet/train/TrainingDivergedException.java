package io.kernelnet.train;

/**
 * fit() stopped because a step's loss or a gradient was not finite (with {@link FitOptions#checkFinite}). That
 * step's optimizer update never ran (nor any later one), so the parameters keep the values of the last good step,
 * and no callback has saved the diverged state.
 */
public final class TrainingDivergedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    private final int epoch;
    private final int step;
    private final String layer;

    /** {@code epoch} and {@code step} count from 1; {@code layer} is where the diagnostic scan found the fault. */
    public TrainingDivergedException(String message, int epoch, int step, String layer) {
        super(message);
        this.epoch = epoch;
        this.step = step;
        this.layer = layer;
    }

    /** The epoch, from 1. */
    public int epoch() {
        return epoch;
    }

    /** The step within the epoch, from 1. */
    public int step() {
        return step;
    }

    /**
     * The first layer in forward order whose parameters, output or parameter gradients hold a non-finite value;
     * "input" for the batch itself; null when no single value is non-finite (the gradients only sum to infinity).
     */
    public String layer() {
        return layer;
    }
}
