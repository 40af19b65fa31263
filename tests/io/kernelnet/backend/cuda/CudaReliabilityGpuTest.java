package io.kernelnet.backend.cuda;

import static io.kernelnet.testing.ReproducibleTraining.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.nn.Dense;
import io.kernelnet.nn.Dropout;
import io.kernelnet.nn.Model;
import io.kernelnet.nn.Sequential;
import io.kernelnet.tensor.Shape;
import io.kernelnet.testing.FailingBackend;
import io.kernelnet.testing.GpuAssumptions;
import io.kernelnet.testing.ReproducibleTraining;
import io.kernelnet.testing.ReproducibleTraining.Result;
import io.kernelnet.testing.TestRandom;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Reliability on the device: after a failure mid-step or out of memory at build, the backend closes and a new
 * {@link CudaBackend} in the same JVM trains; with {@code deterministic}, two identical runs agree bit for bit.
 * Skips (assumption, with the reason) without a GPU.
 */
@Tag("gpu")
class CudaReliabilityGpuTest {

    @RegisterExtension
    final TestRandom rng = new TestRandom();

    @BeforeEach
    void needsAUsableGpu() {
        GpuAssumptions.usableDevice();
    }

    /** Dense 128 relu, Dropout, Dense 10 softmax on 64 inputs, Adam: the small model the device tests train. */
    static Model mlp() {
        Model m = new Sequential(64).add(new Dense(128, "relu")).add(new Dropout(0.25)).add(new Dense(10, "softmax"));
        m.seed(3).compile(new Adam(0.002f), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    private Examples data(int n) {
        return rng.classification(n, Shape.of(64), 10);
    }

    /** A fresh backend on device 0 with the default options trains a model for an epoch to a finite loss. */
    private void aNewBackendTrains(Examples data) {
        try (CudaBackend fresh = new CudaBackend(0, CudaOptions.DEFAULT); Model model = mlp()) {
            model.build(32, fresh);
            History h = model.fit(data, FitOptions.defaults().batchSize(32).verbose(0));
            assertTrue(Double.isFinite(h.last("loss")), "loss " + h.last("loss"));
            assertTrue(model.stepCount() > 0);
        }
    }

    @Test
    void aFailureMidStepClosesCleanlyAndANewBackendTrains() {
        Examples data = data(256);
        CudaBackend cuda = new CudaBackend(0, CudaOptions.DEFAULT);
        FailingBackend failing = FailingBackend.atOpCall(cuda, 40);
        Model broken = mlp();
        broken.build(32, failing);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> broken.fit(data, FitOptions.defaults().batchSize(32).verbose(0)));
        assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
        assertDoesNotThrow(broken::close);
        assertDoesNotThrow(failing::close);
        assertEquals(0, cuda.counters().allocatedBytes(), "the model's memory went back");
        aNewBackendTrains(data);
    }

    @Test
    void outOfMemoryAtBuildReportsThePlanAndWhatIsFreeAndANewBackendTrains() {
        // [4M, 4096] floats are 64 GiB a buffer, and the plan holds several: more than any device has
        try (CudaBackend cuda = new CudaBackend(0, CudaOptions.DEFAULT);
             Model huge = new Sequential(4096).add(new Dense(4096, "relu")).add(new Dense(10, "softmax"))) {
            huge.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY);
            long before = cuda.counters().allocatedBytes();  // the backend's own scratch
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> huge.build(1 << 22, cuda));
            String m = e.getMessage();
            assertTrue(m.startsWith("build: could not allocate the memory plan of "), m);
            assertTrue(m.contains("out of device memory") && m.contains(" free of "), "what is free: " + m);
            assertTrue(m.contains("dense/kernel") && m.contains("total activations"), "the plan: " + m);
            CudaException cause = assertInstanceOf(CudaException.class, e.getCause());
            assertEquals("CUDA_ERROR_OUT_OF_MEMORY", cause.errorName());
            assertEquals(before, cuda.counters().allocatedBytes(), "nothing of the plan stays allocated");
        }
        aNewBackendTrains(data(128));
    }

    @Test
    void deterministicRunsAreBitIdentical() {
        Examples data = data(32 * 6 + 5);
        CudaOptions deterministic = new CudaOptions(Engine.KERNELS, false, true);
        Result[] runs = new Result[2];
        for (int r = 0; r < runs.length; r++) {
            try (CudaBackend cuda = new CudaBackend(0, deterministic)) {
                runs[r] = ReproducibleTraining.run(CudaReliabilityGpuTest::mlp, cuda, data, 3, 32);
            }
        }
        assertBitIdentical(runs[0], runs[1], "CUDA kernels, deterministic, run 2");
    }
}
