package io.kernelnet.backend.cpu;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * Runs a reference op on contiguous slices of its tensors, the slices in parallel: for ops where each output
 * element depends only on the same slice of the inputs (elementwise ops; pooling, per sample), so the results
 * are the reference's bit for bit. Callers slice only arguments whose shapes already fit; anything else goes to
 * the reference whole, which refuses it with its own message.
 */
final class ParallelSlices {
    /** Elements below which one thread is faster than forking. */
    static final long MIN_ELEMENTS = 1 << 15;

    private ParallelSlices() {
    }

    /** What runs on units [from, from + count) of the slicing axis. */
    interface SliceTask {
        void run(int from, int count);
    }

    /** Splits [0, units) into a few contiguous slices per thread and runs them on the common pool. */
    static void run(int units, SliceTask task) {
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        int slices = Math.min(units, 4 * threads);
        IntStream.range(0, slices).parallel().forEach(s -> {
            int from = (int) ((long) s * units / slices);
            int end = (int) ((long) (s + 1) * units / slices);
            task.run(from, end - from);
        });
    }

    /** Elements [from, from + count) of t as a 1D view. */
    static Tensor flat(Tensor t, int from, int count) {
        return t.slice(from, Shape.of(count), t.name());
    }

    /** Samples [from, from + count) of t, whose axis 0 is the batch. */
    static Tensor samples(Tensor t, int from, int count) {
        long perSample = t.shape().sizeFrom(1);
        return t.slice(from * perSample, t.shape().with(0, count), t.name());
    }

    /** Every tensor is non-null and has {@code shape}. */
    static boolean allHave(Shape shape, Tensor... tensors) {
        for (Tensor t : tensors) {
            if (t == null || !t.shape().equals(shape)) {
                return false;
            }
        }
        return true;
    }
}
