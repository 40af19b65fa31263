package io.kernelnet.bench;

import io.kernelnet.backend.cuda.EventTimer;
import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * The timing method the GPU benches share (llm.c's {@code benchmark_kernel}): warm-up calls, then each timed call
 * alone between two CUDA events on the backend's stream, over input sets rotated so that no call finds its
 * operands in the L2 cache; the median is the figure reported.
 */
public final class TimedRuns {
    private TimedRuns() {
    }

    /**
     * How many copies of an op's operands ({@code setBytes} each) {@code calls} calls rotate over. Between two uses of
     * one set the others move at least twice the L2 ({@code l2Bytes}), enough to evict it; never more sets than
     * calls, each call then using a set that no call has touched (the caller evicts the L2 once after setting them
     * up); never fewer than 2.
     */
    public static int rotationSets(long setBytes, long l2Bytes, int calls) {
        if (setBytes <= 0 || l2Bytes < 0 || calls < 1) {
            throw new IllegalArgumentException("rotation: need setBytes > 0, l2Bytes >= 0, calls >= 1, got "
                    + setBytes + ", " + l2Bytes + ", " + calls);
        }
        long evicting = 1 + (2 * l2Bytes + setBytes - 1) / setBytes;
        return (int) Math.max(2, Math.min(calls, evicting));
    }

    /** Marks around one timed call. */
    public interface Clock {
        void start();

        /** Milliseconds since {@link #start}, once the work queued since then is done. */
        double stopMillis();
    }

    /** CUDA events recorded on the backend's stream: the device's time, not the host's. */
    public static Clock events(EventTimer timer) {
        return new Clock() {
            public void start() {
                timer.start();
            }

            public double stopMillis() {
                return timer.stopMillis();
            }
        };
    }

    /**
     * {@code warmup} untimed calls, then {@code runs} timed ones; call i gets input set i % sets. Returns each timed
     * call's milliseconds, in order.
     */
    public static double[] time(Clock timer, int warmup, int runs, int sets, IntConsumer call) {
        for (int i = 0; i < warmup; i++) {
            call.accept(i % sets);
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            timer.start();
            call.accept((warmup + i) % sets);
            ms[i] = timer.stopMillis();
        }
        return ms;
    }

    /** The median (mean of the middle two for an even count); NaN for none. */
    public static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
