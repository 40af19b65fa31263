package io.kernelnet.backend;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;

/**
 * The values that change from one training step to the next, as the ops that need them take them: a tensor of
 * {@link #SIZE} floats, written once per step before the step's ops (with the batch), read by those ops on their
 * device (the CUDA kernels) or from its host array (the CPU backends). No op takes them as host arguments, so a
 * step recorded once and replayed ({@link Backend#runStep}: a CUDA graph) reads each step's own values by
 * construction, on every backend alike. A new per-step value gets a slot here.
 *
 * <p>Layout: [{@link #LEARNING_RATE}] the learning rate; [{@link #STEP}..+3) the optimizer step t >= 1 (Adam's
 * bias corrections 1 - beta^t are computed from it where they are used); [{@link #GENERATOR_OFFSET}..+3) the
 * dropout generator's Philox counter at the step's start, to which each dropout adds its offset within the step.
 * A count is stored as three 21-bit words, low word first, each an exact float, so any non-negative long survives
 * the float tensor (kernels/common.cuh reads it the same way). The last float is unused.
 */
public final class StepScalars {
    public static final int LEARNING_RATE = 0;
    public static final int STEP = 1;
    public static final int GENERATOR_OFFSET = 4;
    public static final int SIZE = 8;
    private static final int WORD_BITS = 21;
    private static final long WORD_MASK = (1L << WORD_BITS) - 1;

    private StepScalars() {
    }

    public static Shape shape() {
        return Shape.of(SIZE);
    }

    /** One step's scalars, to upload into a step scalars tensor. */
    public static float[] of(float learningRate, long step, long generatorOffset) {
        float[] values = new float[SIZE];
        encode(values, learningRate, step, generatorOffset);
        return values;
    }

    /** Writes one step's scalars into {@code values[0..SIZE)} (the caller's array: no allocation per step). */
    public static void encode(float[] values, float learningRate, long step, long generatorOffset) {
        if (step < 0 || generatorOffset < 0) {
            throw new IllegalArgumentException("step scalars: step and generator offset must be >= 0, got " + step
                    + " and " + generatorOffset);
        }
        values[LEARNING_RATE] = learningRate;
        putCount(values, STEP, step);
        putCount(values, GENERATOR_OFFSET, generatorOffset);
        values[SIZE - 1] = 0f;
    }

    private static void putCount(float[] values, int at, long count) {
        for (int w = 0; w < 3; w++) {
            values[at + w] = (count >>> (w * WORD_BITS)) & WORD_MASK;
        }
    }

    // ---- reading a host tensor (the CPU backends) --------------------------------------------------------------

    public static float learningRate(Tensor scalars) {
        return scalars.hostArray()[(int) scalars.offset() + LEARNING_RATE];
    }

    public static long step(Tensor scalars) {
        return count(scalars, STEP);
    }

    public static long generatorOffset(Tensor scalars) {
        return count(scalars, GENERATOR_OFFSET);
    }

    private static long count(Tensor scalars, int at) {
        float[] a = scalars.hostArray();
        int base = (int) scalars.offset() + at;
        long count = 0;
        for (int w = 0; w < 3; w++) {
            count |= (long) a[base + w] << (w * WORD_BITS);
        }
        return count;
    }
}
