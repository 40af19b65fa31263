package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;

/**
 * The training step's scalars, kept in the memory plan so that a step never waits for the device: the current
 * step's {@code [loss, gradient sum, correct rows, halt]}, and a record of up to {@link #SLOTS} steps, each a copy of
 * those four values taken after the step. The host reads the record only when it needs numbers (a progress redraw,
 * the end of an epoch, a full record) and then sums what fit() used to sum after every step, in the same order and
 * precision, so the history is the same to the bit.
 */
final class StepMetrics {
    static final int LOSS = 0;
    static final int GRADIENT_SUM = 1;
    static final int CORRECT = 2;
    /** Set on the device by the finite check, never cleared there: every later update is skipped. */
    static final int HALT = 3;
    static final int WIDTH = 4;
    /** Steps recorded between two reads: one read per 256 steps at most when nothing else asks for numbers. */
    static final int SLOTS = 256;

    /** What the host knows of a step it queued: where it is reported, and how to run it again. */
    record QueuedStep(int epoch, int step, int from, int n, long stepsBefore, long generatorOffsetBefore) {
    }

    /** An epoch's running sums over the steps read so far. */
    static final class Totals {
        double lossSum;
        long correct;
        long seen;
    }

    private final Backend backend;
    private final Tensor current;
    private final Tensor record;
    private final QueuedStep[] queued = new QueuedStep[SLOTS];
    private final float[] values = new float[SLOTS * WIDTH];
    private int used;

    /** {@code current}: [WIDTH]; {@code record}: [SLOTS, WIDTH]; both planned by the model. */
    StepMetrics(Backend backend, Tensor current, Tensor record) {
        this.backend = backend;
        this.current = current;
        this.record = record;
    }

    static Shape currentShape() {
        return Shape.of(WIDTH);
    }

    static Shape recordShape() {
        return Shape.of(SLOTS, WIDTH);
    }

    Tensor loss() {
        return current.slice(LOSS, Shape.of(1), "step loss");
    }

    Tensor gradientSum() {
        return current.slice(GRADIENT_SUM, Shape.of(1), "step gradient sum");
    }

    /** The loss and the gradient sum: the two values the finite check looks at. */
    Tensor checked() {
        return current.slice(LOSS, Shape.of(2), "step loss and gradient sum");
    }

    Tensor correct() {
        return current.slice(CORRECT, Shape.of(1), "step correct rows");
    }

    Tensor halt() {
        return current.slice(HALT, Shape.of(1), "halt");
    }

    boolean full() {
        return used == SLOTS;
    }

    /** Copies the current values into the record, on the device, after the step's queued work. */
    void record(QueuedStep step) {
        backend.copy(record.slice((long) used * WIDTH, currentShape(), "step record " + used), current);
        queued[used++] = step;
    }

    /**
     * Reads the record (one download) and adds to {@code totals}, step by step, loss times examples and correct rows,
     * up to the first step whose halt flag was set: that step is returned (null when all were good). The record is
     * then empty.
     */
    QueuedStep drain(Totals totals) {
        if (used == 0) {
            return null;
        }
        int count = used;
        used = 0;
        backend.download(values, 0, record.slice(0, Shape.of(count * WIDTH), "step record"));
        for (int i = 0; i < count; i++) {
            int at = i * WIDTH;
            if (values[at + HALT] != 0) {
                return queued[i];
            }
            totals.lossSum += (double) values[at + LOSS] * queued[i].n();
            totals.correct += (long) values[at + CORRECT];
            totals.seen += queued[i].n();
        }
        return null;
    }

    /** A new fit: the halt flag cleared, the record empty. */
    void reset() {
        backend.fill(halt(), 0f);
        used = 0;
    }
}
