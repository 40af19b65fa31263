package io.kernelnet.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.train.Adam;
import io.kernelnet.train.Examples;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.Loss;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a backend sets aside at build, so that training allocates nothing: a backend whose libraries want scratch
 * for the whole run (cuBLAS under CUDA graphs) gets it from the model's plan, even when no layer convolves, shared
 * with the convolutions' workspace, and gets it back at close; and it hears the size of the largest batch upload.
 */
class BuildReservationsTest {
    /** Asks for {@code floats} of library workspace and records what useWorkspace is given. */
    private static final class WorkspaceWanting extends ForwardingBackend {
        final long floats;
        final List<Tensor> given = new ArrayList<>();
        final List<Long> reservedUploads = new ArrayList<>();

        WorkspaceWanting(long floats) {
            super(new CpuBackend());
            this.floats = floats;
        }

        @Override
        public long libraryWorkspaceFloats() {
            return floats;
        }

        @Override
        public void reserveAsyncUploads(long floats) {
            reservedUploads.add(floats);
        }

        @Override
        public void useWorkspace(Tensor workspace) {
            given.add(workspace);
            super.useWorkspace(workspace);
        }
    }

    private static Model compiled(Model m) {
        m.compile(new Adam(), Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
        return m;
    }

    @Test
    void aDenseModelPlansTheLibrariesWorkspaceAndHandsItBackAtClose() {
        WorkspaceWanting backend = new WorkspaceWanting(5000);
        Model m = compiled(new Sequential(6).add(new Dense(4, "relu")).add(new Dense(3, "softmax")));
        m.build(8, backend);
        assertEquals(1, backend.given.size(), "one workspace, given at build");
        assertEquals(5000, backend.given.get(0).size());
        assertTrue(m.memoryPlan().toString().contains("workspace"), m.memoryPlan().toString());
        m.close();
        assertEquals(2, backend.given.size(), "taken back at close");
        assertNull(backend.given.get(1));
        backend.close();
    }

    @Test
    void convolutionsAndLibrariesShareOneWorkspaceOfTheLargerSize() {
        try (WorkspaceWanting backend = new WorkspaceWanting(7)) {
            Model m = compiled(new Sequential(1, 6, 6).add(new Conv2D(2, 3)).add(new Flatten()).add(new Dense(3, "softmax")));
            m.build(4, backend);
            assertEquals(1, backend.given.size());
            assertEquals(7, backend.given.get(0).size(), "the CPU convolutions need none, the library 7 floats");
            m.close();
        }
        try (CpuBackend plain = new CpuBackend()) {
            Model m = compiled(new Sequential(6).add(new Dense(3, "softmax")));
            m.build(4, plain);
            assertTrue(!m.memoryPlan().toString().contains("workspace"), "no workspace when nothing asks for one");
            m.close();
        }
    }

    @Test
    void theLargestBatchUploadIsReservedAtBuild() {
        try (WorkspaceWanting backend = new WorkspaceWanting(0)) {
            Model images = compiled(new Sequential(1, 6, 6).add(new Flatten()).add(new Dense(3, "softmax")));
            images.build(4, backend);
            assertEquals(List.of(4L * 36), backend.reservedUploads, "inputs [4, 1, 6, 6] outweigh labels [4]");
            images.close();
            Model regression = new Sequential(2).add(new Dense(50));
            regression.compile(new Adam(), Loss.MSE);
            regression.build(8, backend);
            assertEquals(8L * 50, backend.reservedUploads.get(1), "targets [8, 50] outweigh inputs [8, 2]");
            regression.close();
        }
    }

    @Test
    void twoModelsOnOneBackendEachClaimTheirOwnWorkspaceBeforeEachBatch() {
        try (WorkspaceWanting backend = new WorkspaceWanting(100)) {
            Model a = compiled(new Sequential(6).add(new Dense(4, "relu")).add(new Dense(3, "softmax")));
            Model b = compiled(new Sequential(6).add(new Dense(3, "softmax")));
            a.build(8, backend);
            Tensor mine = backend.given.get(0);
            b.build(8, backend);
            assertTrue(backend.given.get(1).storage() != mine.storage(), "b set its own");
            Examples data = Examples.of(new float[16 * 6], Shape.of(6), new float[16], Shape.of());
            a.fit(data, FitOptions.defaults().epochs(1).batchSize(8).verbose(0));
            Tensor last = backend.given.get(backend.given.size() - 1);
            assertTrue(last.storage() == mine.storage() && last.offset() == mine.offset(), "a claimed its own back");
            b.close();
            assertNull(backend.given.get(backend.given.size() - 1), "b let its own go");
            a.evaluate(data, 8);
            last = backend.given.get(backend.given.size() - 1);
            assertTrue(last != null && last.storage() == mine.storage(), "a runs in its own workspace again");
            a.close();
        }
    }
}
