package io.kernelnet.train;


/** Keras LearningRateScheduler: before each epoch, lr = schedule(epoch, current lr). */
public final class LearningRateScheduler implements Callback {
    /** A learning rate for an epoch (from 0), given the current one. */
    @FunctionalInterface
    public interface Schedule {
        double learningRate(int epoch, double current);
    }

    private final Schedule schedule;

    public LearningRateScheduler(Schedule schedule) {
        this.schedule = schedule;
    }

    /** Multiplies the rate by {@code factor} every {@code everyEpochs} epochs. */
    public static LearningRateScheduler stepDecay(double factor, int everyEpochs) {
        if (everyEpochs <= 0 || !(factor > 0)) {
            throw new IllegalArgumentException("step decay: factor must be > 0 and period positive, got " + factor
                    + " every " + everyEpochs);
        }
        return new LearningRateScheduler((epoch, lr) -> epoch > 0 && epoch % everyEpochs == 0 ? lr * factor : lr);
    }

    @Override
    public void onEpochBegin(TrainingRun run, int epoch) {
        double lr = schedule.learningRate(epoch, run.optimizer().learningRate());
        run.optimizer().learningRate((float) lr);
    }
}
