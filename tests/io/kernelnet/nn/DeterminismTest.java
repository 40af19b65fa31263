package io.kernelnet.nn;

import static io.kernelnet.testing.ReproducibleTraining.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.testing.ReproducibleTraining;
import io.kernelnet.testing.ReproducibleTraining.Result;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Examples;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opentest4j.AssertionFailedError;

/**
 * The CPU backends are deterministic: the same seed gives bit-identical losses and parameters run after run, with
 * shuffling and dropout, and on FastCpuBackend whatever the threads do. Its parallel parts split work into slices
 * fixed by the sizes (and the common pool's size, never the pool a call runs in) and add partial sums in slice
 * order, so a run inside a pool of 1 or 3 threads, which reorders and serializes the slices, must agree too.
 */
class DeterminismTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final int BATCH = 32;

    private Examples data() {
        return ReproducibleTraining.smallCnnData(rng, BATCH);
    }

    private static Result inPool(int threads, Supplier<Result> run) throws Exception {
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            // parallel streams started inside a pool's task run on that pool
            return pool.submit(run::get).get();
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void theComparisonNoticesARunThatDiffers() {
        Examples data = data();
        Result first = ReproducibleTraining.run(ReproducibleTraining::smallCnn, new CpuBackend(), data, 1, BATCH);
        Result otherSeed = ReproducibleTraining.run(() -> ReproducibleTraining.smallCnn().seed(10), new CpuBackend(), data, 1, BATCH);
        assertThrows(AssertionFailedError.class, () -> assertBitIdentical(first, otherSeed, "another seed"));
    }

    @Test
    void theReferenceBackendRepeatsItselfBitForBit() {
        Examples data = data();
        Result first = ReproducibleTraining.run(ReproducibleTraining::smallCnn, new CpuBackend(), data, 3, BATCH);
        Result second = ReproducibleTraining.run(ReproducibleTraining::smallCnn, new CpuBackend(), data, 3, BATCH);
        assertBitIdentical(first, second, "CpuBackend, run 2");
    }

    @Test
    void theFastBackendRepeatsItselfBitForBitWhateverTheThreads() throws Exception {
        Examples data = data();
        Supplier<Result> run = () -> ReproducibleTraining.run(ReproducibleTraining::smallCnn, new FastCpuBackend(), data, 3, BATCH);
        Result first = run.get();
        assertBitIdentical(first, run.get(), "FastCpuBackend, run 2");
        assertBitIdentical(first, inPool(1, run), "FastCpuBackend in a pool of 1 thread");
        assertBitIdentical(first, inPool(3, run), "FastCpuBackend in a pool of 3 threads");
    }
}
