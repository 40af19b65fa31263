package io.kernelnet.backend.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads the fast CPU ops split their work over: the calling thread and {@code availableProcessors() - 1}
 * daemon workers that, after a task, spin a while for the next one before they park. A training step's parallel ops
 * come tens to hundreds of microseconds apart, and waking a parked thread costs about as much on a virtual machine
 * (measured on the 2-core development machine: 20 to 250 us for a fork-join worker), so workers that park between
 * ops would lose most of what splitting them gains. OpenMP runtimes, PyTorch's among them, spin the same way.
 *
 * <p>One job at a time: a {@link #run} that finds the workers busy (another thread's op, or a task that splits
 * itself) runs its tasks on the calling thread, which every caller's results allow, as they do not depend on the
 * split.
 */
final class CpuWorkers {
    /** How long an idle worker spins for the next job before it parks. */
    private static final long SPIN_NANOS = 200_000;

    static final CpuWorkers COMMON = new CpuWorkers(Runtime.getRuntime().availableProcessors() - 1);

    private final Worker[] workers;
    private final AtomicInteger busy = new AtomicInteger();
    private volatile Job current;
    private long generation;

    private CpuWorkers(int count) {
        workers = new Worker[Math.max(0, count)];
        for (int i = 0; i < workers.length; i++) {
            Worker w = new Worker();
            w.thread = new Thread(() -> serve(w), "kernelnet-cpu-" + (i + 1));
            w.thread.setDaemon(true);
            workers[i] = w;
            w.thread.start();
        }
    }

    /** The calling thread and the workers. */
    int threads() {
        return workers.length + 1;
    }

    /**
     * Runs task(i) once for each i in [0, count), spread over the calling thread and the workers, and returns when
     * all have finished; rethrows the first exception a task threw.
     */
    void run(int count, IntConsumer task) {
        if (count <= 1 || workers.length == 0 || !busy.compareAndSet(0, 1)) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
            return;
        }
        try {
            Job job = new Job(++generation, count, task);
            current = job;
            for (Worker w : workers) {
                if (w.sleeping) {
                    LockSupport.unpark(w.thread);
                }
            }
            job.work();
            // the last tasks are the workers': yield now and then, so that on cores shared with other jobs a worker
            // that lost its core can get this one
            for (int spins = 1; job.finished.get() < count; spins++) {
                if (spins % 256 == 0) {
                    Thread.yield();
                } else {
                    Thread.onSpinWait();
                }
            }
            Throwable failure = job.failure;
            if (failure instanceof RuntimeException e) {
                throw e;
            }
            if (failure instanceof Error e) {
                throw e;
            }
        } finally {
            busy.set(0);
        }
    }

    private void serve(Worker me) {
        long seen = 0;
        while (true) {
            Job job = awaitNewer(me, seen);
            seen = job.generation;
            job.work();
        }
    }

    /** Spins, then parks, until a job newer than {@code seen} is published. */
    private Job awaitNewer(Worker me, long seen) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (true) {
            Job job = current;
            if (job != null && job.generation != seen) {
                return job;
            }
            if (System.nanoTime() - spinUntil < 0) {
                Thread.onSpinWait();
                continue;
            }
            // announced before the last look: a dispatcher that publishes after it sees the flag and unparks
            me.sleeping = true;
            job = current;
            if (job == null || job.generation == seen) {
                LockSupport.park(this);
            }
            me.sleeping = false;
            spinUntil = System.nanoTime() + SPIN_NANOS;
        }
    }

    private static final class Worker {
        Thread thread;
        volatile boolean sleeping;
    }

    /** One run's tasks: each index taken once, by whichever thread gets to it first. */
    private static final class Job {
        final long generation;
        final int count;
        final IntConsumer task;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        volatile Throwable failure;

        Job(long generation, int count, IntConsumer task) {
            this.generation = generation;
            this.count = count;
            this.task = task;
        }

        void work() {
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                try {
                    task.accept(i);
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    finished.incrementAndGet();
                }
            }
        }
    }
}
