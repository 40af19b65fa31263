package io.kernelnet.nn;

import static io.kernelnet.testing.ReproducibleTraining.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.testing.ReproducibleTraining;
import io.kernelnet.testing.ReproducibleTraining.Result;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Examples;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.opentest4j.AssertionFailedError;

/**
 * The CPU backends are deterministic: the same seed gives bit-identical losses and parameters run after run, with
 * shuffling and dropout, and on FastCpuBackend whatever the threads do. Its parallel parts compute every output
 * element the same way however the work is split, and add partial sums in an order fixed by the sizes: its
 * parallel and sequential branches agree (ParallelBranchesTest), and so do two runs at once, whose ops contend for
 * the workers (one runs its ops on its own thread while the other has them).
 */
class DeterminismTest {
    @RegisterExtension
    final TestRandom rng = new TestRandom();

    private static final int BATCH = 32;

    private Examples data() {
        return ReproducibleTraining.smallCnnData(rng, BATCH);
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
        ExecutorService twoAtOnce = Executors.newFixedThreadPool(2);
        try {
            Future<Result> one = twoAtOnce.submit(run::get);
            Future<Result> other = twoAtOnce.submit(run::get);
            assertBitIdentical(first, one.get(), "FastCpuBackend, one of two runs at once");
            assertBitIdentical(first, other.get(), "FastCpuBackend, the other of two runs at once");
        } finally {
            twoAtOnce.shutdown();
        }
    }
}
