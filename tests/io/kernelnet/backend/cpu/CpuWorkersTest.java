package io.kernelnet.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The worker pool runs a job's tasks at the same time on the calling thread and its workers, also after the workers
 * parked and again after a job; a task's exception reaches the caller as it was thrown; and a task that splits
 * itself runs its own tasks. Concurrency is proven, not timed: two tasks that each wait for the other can only both
 * finish on two threads.
 */
class CpuWorkersTest {
    /** Two tasks that each wait (10 s at most) until both have started. */
    private static IntConsumer rendezvous() {
        CountDownLatch started = new CountDownLatch(2);
        return i -> {
            started.countDown();
            try {
                assertTrue(started.await(10, TimeUnit.SECONDS), "task " + i + " never met the other: one thread ran both");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    @Test
    void tasksRunOnTheCallerAndAWorkerAtOnceAlsoAfterTheWorkersParked() throws InterruptedException {
        assumeTrue(CpuWorkers.COMMON.threads() > 1, "one processor: no workers");
        CpuWorkers.COMMON.run(2, rendezvous());
        CpuWorkers.COMMON.run(2, rendezvous());
        Thread.sleep(5);  // far longer than a worker spins before it parks
        CpuWorkers.COMMON.run(2, rendezvous());
    }

    @Test
    void eachOfRunsTasksAtOnceFromItsThresholdOn() {
        assumeTrue(CpuWorkers.COMMON.threads() > 1, "one processor: no workers");
        ParallelSlices.ALWAYS.eachOf(1, 2, rendezvous());
        ParallelSlices.DEFAULT.eachOf(ParallelSlices.DEFAULT.minMultiplyAdds(), 2, rendezvous());
        Thread caller = Thread.currentThread();
        ParallelSlices.DEFAULT.eachOf(ParallelSlices.DEFAULT.minMultiplyAdds() - 1, 3,
                i -> assertSame(caller, Thread.currentThread(), "below the threshold, on the calling thread"));
    }

    @Test
    void aTasksExceptionOrErrorReachesTheCallerAsThrown() {
        IllegalStateException failure = new IllegalStateException("task 3 failed");
        assertSame(failure, assertThrows(IllegalStateException.class,
                () -> CpuWorkers.COMMON.run(6, i -> {
                    if (i == 3) {
                        throw failure;
                    }
                })));
        AssertionError error = new AssertionError("task 0 failed");
        assertSame(error, assertThrows(AssertionError.class,
                () -> CpuWorkers.COMMON.run(6, i -> {
                    if (i == 0) {
                        throw error;
                    }
                })));
    }

    @Test
    void aTaskThatSplitsItselfRunsEveryInnerTaskOnce() {
        AtomicIntegerArray runs = new AtomicIntegerArray(4 * 5);
        CpuWorkers.COMMON.run(4, i -> CpuWorkers.COMMON.run(5, j -> runs.incrementAndGet(i * 5 + j)));
        assertArrayEquals(IntStream.range(0, runs.length()).map(k -> 1).toArray(),
                IntStream.range(0, runs.length()).map(runs::get).toArray());
    }
}
