package io.kernelnet.nn;

import static io.kernelnet.testing.ReproducibleTraining.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.ReproducibleTraining;
import io.kernelnet.testing.ReproducibleTraining.Result;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.Loss;
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

    /**
     * Large enough that every parallel path runs in parallel: conv 8x16x16 activations of a batch of 32 are 65,536
     * floats (ParallelSlices from 32,768), the conv filter gradient is summed over 16 chunks of samples, and the
     * dense gemm is above FastGemm's parallel threshold.
     */
    private static Model smallCnn() {
        Model m = new Sequential(1, 16, 16)
                .add(new Conv2D(8, 3).padding("same").activation("relu"))
                .add(new MaxPooling2D(2))
                .add(new Flatten())
                .add(new Dropout(0.3))
                .add(new Dense(32, "relu"))
                .add(new Dense(4, "softmax"));
        m.seed(9).compile(new Adam(0.003f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    private Examples data() {
        int n = 4 * BATCH + 7; // a smaller last batch too
        return Examples.of(rng.uniform(n * 256, 0, 1), Shape.of(1, 16, 16), rng.labels(n, 4), Shape.of());
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
        Result first = ReproducibleTraining.run(DeterminismTest::smallCnn, new CpuBackend(), data, 1, BATCH);
        Result otherSeed = ReproducibleTraining.run(() -> smallCnn().seed(10), new CpuBackend(), data, 1, BATCH);
        assertThrows(AssertionFailedError.class, () -> assertBitIdentical(first, otherSeed, "another seed"));
    }

    @Test
    void theReferenceBackendRepeatsItselfBitForBit() {
        Examples data = data();
        Result first = ReproducibleTraining.run(DeterminismTest::smallCnn, new CpuBackend(), data, 3, BATCH);
        Result second = ReproducibleTraining.run(DeterminismTest::smallCnn, new CpuBackend(), data, 3, BATCH);
        assertBitIdentical(first, second, "CpuBackend, run 2");
    }

    @Test
    void theFastBackendRepeatsItselfBitForBitWhateverTheThreads() throws Exception {
        Examples data = data();
        Supplier<Result> run = () -> ReproducibleTraining.run(DeterminismTest::smallCnn, new FastCpuBackend(), data, 3, BATCH);
        Result first = run.get();
        assertBitIdentical(first, run.get(), "FastCpuBackend, run 2");
        assertBitIdentical(first, inPool(1, run), "FastCpuBackend in a pool of 1 thread");
        assertBitIdentical(first, inPool(3, run), "FastCpuBackend in a pool of 3 threads");
    }
}
