package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Philox;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.nn.StepMetrics.QueuedStep;
import io.kernelnet.train.Callback;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Optimizer;
import io.kernelnet.train.ProgressBar;
import io.kernelnet.train.TrainingDivergedException;
import io.kernelnet.train.TrainingRun;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The training loop (Caffe's Solver, Keras' fit): epochs of shuffled batches, one optimizer step per batch queued
 * on the device without waiting for it, the steps' numbers read back in bulk ({@link StepMetrics}), callbacks, and
 * evaluation. It advances the counters of {@link ModelState}; callbacks see it as a {@link TrainingRun}.
 */
final class Trainer implements TrainingRun {
    private final PlannedGraph planned;
    private final GraphExecutor executor;
    private final ModelState state;
    private final DivergenceScan scan;
    private final Backend backend;
    private final Optimizer optimizer;
    private final boolean accuracyMetric;
    private final long seed;
    /** The host side of the step scalars, encoded here and uploaded before each step. */
    private final float[] stepScalars = new float[StepScalars.SIZE];
    private volatile boolean stopTraining;

    /** {@code seed}: the model's, which the shuffle order mixes in. */
    Trainer(PlannedGraph planned, GraphExecutor executor, ModelState state, Optimizer optimizer,
            boolean accuracyMetric, long seed) {
        this.planned = planned;
        this.executor = executor;
        this.state = state;
        this.scan = new DivergenceScan(planned, executor);
        this.backend = planned.backend();
        this.optimizer = optimizer;
        this.accuracyMetric = accuracyMetric;
        this.seed = seed;
    }

    /**
     * Trains on {@code train} as {@code options} say, evaluating {@code validation} (null: none) after each epoch;
     * the caller has checked both. Progress goes to {@code progress}.
     */
    History fit(Examples train, Examples validation, FitOptions options, PrintStream progress) {
        int b = options.batchSize();
        int batches = (train.count() + b - 1) / b;
        int[] order = new int[train.count()];
        History history = new History();
        stopTraining = false;
        boolean terminal = ProgressBar.stdoutIsTerminal();
        List<Callback> callbacks = options.callbacks();
        StepMetrics metrics = planned.metrics();
        metrics.reset();
        callbacks.forEach(c -> c.onTrainBegin(this));
        int firstEpoch = state.epochsDone();
        for (int epoch = firstEpoch; epoch < firstEpoch + options.epochs() && !stopTraining; epoch++) {
            final int e = epoch;
            callbacks.forEach(c -> c.onEpochBegin(this, e));
            epochOrder(order, options.shuffle(), options.shuffleSeed(), epoch);
            ProgressBar bar = options.verbose() > 0 ? new ProgressBar(progress,
                    "Epoch " + (epoch + 1) + "/" + (firstEpoch + options.epochs()), batches, terminal) : null;
            StepMetrics.Totals totals = new StepMetrics.Totals();
            long startNanos = System.nanoTime();
            for (int k = 0; k < batches; k++) {
                if (metrics.full()) {
                    readRecord(totals, train, order);
                }
                for (Callback c : callbacks) {
                    c.onBatchBegin(this, epoch, k);
                }
                int from = k * b;
                int n = Math.min(b, train.count() - from);
                trainStep(train, order, new QueuedStep(epoch + 1, k + 1, from, n, state.steps(),
                        state.generatorOffset()), options.checkFinite());
                if (bar != null && bar.due(k + 1)) {
                    readRecord(totals, train, order);
                    bar.update(k + 1, runningLogs(totals));
                }
            }
            readRecord(totals, train, order);
            backend.synchronize();
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            Map<String, Double> logs = runningLogs(totals);
            if (validation != null) {
                Model.Evaluation v = evaluate(validation, b);
                logs.put("val_loss", v.loss());
                if (accuracyMetric) {
                    logs.put("val_accuracy", v.accuracy());
                }
            }
            logs.put("lr", (double) optimizer.learningRate());
            logs.put("epoch_seconds", seconds);
            logs.put("examples_per_second", totals.seen / seconds);
            state.epochDone(epoch + 1);
            history.record(logs);
            if (bar != null) {
                Map<String, Double> shown = new LinkedHashMap<>(logs);
                shown.remove("epoch_seconds");
                shown.remove("examples_per_second");
                shown.remove("lr");
                bar.finish(shown);
            }
            callbacks.forEach(c -> c.onEpochEnd(this, e, logs));
        }
        callbacks.forEach(c -> c.onTrainEnd(this));
        return history;
    }

    /**
     * Queues one optimizer step on examples {@code order[from..from+n)} and its record ({@link StepMetrics}):
     * nothing here waits for the device. With {@code checkFinite} a non-finite loss or gradient sum sets the
     * device's halt flag before the update, which the optimizer then skips, as every later one until fit reads the
     * record and reports the step ({@link #rerunBadStep}): the parameters stay at the last good values.
     *
     * <p>Everything that changes from step to step goes into tensors first: the batch, and the learning rate, step
     * number and generator position as the {@link StepScalars}. The step's device work then makes the same op calls
     * with the same host arguments every step of a batch size, so a full batch hands it to {@link Backend#runStep}
     * (a CUDA backend records it once and replays it as a graph); the last, smaller batch runs it plainly. The
     * record stays outside the step's work.
     */
    private void trainStep(Examples data, int[] order, QueuedStep at, boolean checkFinite) {
        int n = at.n();
        StepMetrics metrics = planned.metrics();
        executor.loadBatch(data, order, at.from(), n);
        writeStepScalars(at.stepsBefore() + 1, at.generatorOffsetBefore());
        TrainingStep key = new TrainingStep(planned, List.of(planned, n, checkFinite));
        Runnable work = () -> {
            executor.forward(n, true);
            executor.computeLoss(n);
            executor.backward(n);
            if (checkFinite) {
                // one reduction over the whole gradient region: any NaN or Inf makes the sum non-finite
                backend.sum(metrics.gradientSum(), planned.gradients());
                backend.flagNonFinite(metrics.halt(), metrics.checked());
            }
            optimizer.update(backend, planned.parameters(), planned.gradients(), planned.optimizerState(),
                    planned.stepScalars(), metrics.halt());
            if (accuracyMetric) {
                backend.accuracyCount(metrics.correct(), executor.output(n), planned.targets(n));
            }
        };
        if (n == planned.capacity()) {
            backend.runStep(key, work);
        } else {
            work.run();
        }
        state.stepDone(at.stepsBefore() + 1, at.generatorOffsetBefore() + executor.generatorCounters(n));
        metrics.record(at);
    }

    /** Reads the steps recorded so far into {@code totals}; throws TrainingDivergedException at a bad one. */
    private void readRecord(StepMetrics.Totals totals, Examples data, int[] order) {
        QueuedStep bad = planned.metrics().drain(totals);
        if (bad != null) {
            throw rerunBadStep(bad, data, order);
        }
    }

    /**
     * Runs the bad step again, without its update, for the scan. The counters are left as a step that stopped
     * before its update leaves them: the steps taken before it, the generator past its draw.
     */
    private TrainingDivergedException rerunBadStep(QueuedStep bad, Examples data, int[] order) {
        state.stepDone(bad.stepsBefore(), bad.generatorOffsetBefore() + executor.generatorCounters(bad.n()));
        executor.loadBatch(data, order, bad.from(), bad.n());
        writeStepScalars(bad.stepsBefore() + 1, bad.generatorOffsetBefore());
        executor.forward(bad.n(), true);
        executor.computeLoss(bad.n());
        executor.backward(bad.n());
        return scan.report(bad, executor.lossValue());
    }

    /** Queues the upload of step {@code step}'s scalars: the optimizer's learning rate now, and the counters. */
    private void writeStepScalars(long step, long generatorOffset) {
        StepScalars.encode(stepScalars, optimizer.learningRate(), step, generatorOffset);
        backend.uploadAsync(planned.stepScalars(), stepScalars, 0);
    }

    private Map<String, Double> runningLogs(StepMetrics.Totals totals) {
        Map<String, Double> logs = new LinkedHashMap<>();
        long seen = totals.seen;
        logs.put("loss", seen == 0 ? Double.NaN : totals.lossSum / seen);
        if (accuracyMetric) {
            logs.put("accuracy", seen == 0 ? Double.NaN : (double) totals.correct / seen);
        }
        return logs;
    }

    /**
     * The order of the training examples in {@code epoch}: 0, 1, ... without shuffling, else a Fisher-Yates
     * shuffle of that drawn from a generator seeded by Philox(key = shuffleSeed ^ seed, counter = epoch). The
     * order depends on nothing but (shuffleSeed, seed, epoch), so a run resumed from a checkpoint at epoch k
     * visits the examples exactly as the uninterrupted run would.
     */
    private void epochOrder(int[] order, boolean shuffle, long shuffleSeed, int epoch) {
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (!shuffle) {
            return;
        }
        long key = shuffleSeed ^ seed;
        int[] words = Philox.block(epoch, 0, 0, 0, (int) key, (int) (key >>> 32));
        Random random = new Random((long) words[0] << 32 | (words[1] & 0xFFFFFFFFL));
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
    }

    /** Mean loss and accuracy over {@code data} (checked by the caller) in batches of up to {@code batchSize}. */
    Model.Evaluation evaluate(Examples data, int batchSize) {
        int b = Math.min(batchSize, planned.capacity());
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < data.count(); from += b) {
            int n = Math.min(b, data.count() - from);
            executor.loadBatch(data, null, from, n);
            executor.forward(n, false);
            executor.computeLoss(n);
            lossSum += (double) executor.lossValue() * n;
            if (accuracyMetric) {
                correct += backend.accuracyCount(executor.output(n), planned.targets(n));
            }
        }
        int count = data.count();
        return new Model.Evaluation(count == 0 ? Double.NaN : lossSum / count,
                accuracyMetric && count > 0 ? (double) correct / count : Double.NaN, count);
    }

    /**
     * Forward, loss and backward on the first {@code n} examples with the dropout generator at
     * {@code generatorOffset}, no optimizer step: lets a gradient check repeat the exact same computation.
     */
    float lossAndGradients(Examples data, int n, long generatorOffset) {
        executor.loadBatch(data, null, 0, n);
        writeStepScalars(state.steps() + 1, generatorOffset);
        executor.forward(n, true);
        executor.computeLoss(n);
        executor.backward(n);
        return executor.lossValue();
    }

    // ---- what callbacks see ---------------------------------------------------------------------------------

    @Override
    public Optimizer optimizer() {
        return optimizer;
    }

    @Override
    public int epochsDone() {
        return state.epochsDone();
    }

    @Override
    public long stepCount() {
        return state.steps();
    }

    @Override
    public LinkedHashMap<String, float[]> parameters() {
        return state.parameters();
    }

    @Override
    public void setParameter(String name, float[] values) {
        state.setParameter(name, values);
    }

    @Override
    public void stopTraining() {
        stopTraining = true;
    }
}
