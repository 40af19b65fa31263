package io.kernelnet.nn;

import static io.kernelnet.testing.Refusals.assertRefusedWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.nn.MemoryPlan.Entry;
import io.kernelnet.nn.MemoryPlan.Region;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The memory plan's layout worked out by hand: regions in enum order whatever order the buffers were added in,
 * every buffer on a 64-float boundary, optimizer state slots the size of the whole parameter region, empty regions
 * of size zero; then the one allocation, zero-filled, its views, its release, and the printed plan.
 */
class MemoryPlanTest {
    /** Buffers added out of region order; the expected offsets follow the comments. */
    private static MemoryPlan plan() {
        MemoryPlan.Builder b = new MemoryPlan.Builder();
        b.add(Region.GRADIENTS, "a/grad", Shape.of(10));          // 192
        b.add(Region.PARAMETERS, "a", Shape.of(10));              // 0, next 64
        b.add(Region.PARAMETERS, "b", Shape.of(2, 35));           // 64, next align(134) = 192
        b.add(Region.GRADIENTS, "b/grad", Shape.of(2, 35));       // 256, next 384
        b.addStateSlot("adam m");                                 // 384, 192 floats
        b.addStateSlot("adam v");                                 // 576, next 768
        b.add(Region.METRICS, "metrics", Shape.of(5));            // 1024, next 1088
        b.add(Region.BATCH_IO, "input", Shape.of(3, 64));         // 768, next 960: already aligned
        b.add(Region.SCRATCH, "scratch", Shape.of(1));            // 960, next 1024
        return b.layOut();
    }

    @Test
    void buffersLieInRegionOrderOnAlignedOffsets() {
        MemoryPlan plan = plan();
        List<Entry> expected = List.of(
                new Entry(Region.GRADIENTS, "a/grad", Shape.of(10), 192),
                new Entry(Region.PARAMETERS, "a", Shape.of(10), 0),
                new Entry(Region.PARAMETERS, "b", Shape.of(2, 35), 64),
                new Entry(Region.GRADIENTS, "b/grad", Shape.of(2, 35), 256),
                new Entry(Region.OPTIMIZER_STATE, "adam m", Shape.of(192), 384),
                new Entry(Region.OPTIMIZER_STATE, "adam v", Shape.of(192), 576),
                new Entry(Region.METRICS, "metrics", Shape.of(5), 1024),
                new Entry(Region.BATCH_IO, "input", Shape.of(3, 64), 768),
                new Entry(Region.SCRATCH, "scratch", Shape.of(1), 960));
        assertEquals(expected, plan.entries(), "entries in the order they were added, with their offsets");
        assertEquals(1088, plan.totalFloats());
        assertEquals(1088 * 4, plan.totalBytes());
        long[] floats = Arrays.stream(Region.values()).mapToLong(plan::regionFloats).toArray();
        assertArrayEquals(new long[] {192, 192, 384, 192, 0, 0, 64, 64}, floats,
                "floats per region: " + Arrays.toString(Region.values()));
    }

    @Test
    void anEmptyPlanHasNothingInAnyRegion() {
        MemoryPlan plan = new MemoryPlan.Builder().layOut();
        assertEquals(0, plan.totalFloats());
        for (Region r : Region.values()) {
            assertEquals(0, plan.regionFloats(r), r.name());
        }
    }

    @Test
    void alignmentRoundsUpToSixtyFourFloats() {
        assertEquals(64, MemoryPlan.ALIGN_FLOATS);
        long[][] floatsAndAligned = {{0, 0}, {1, 64}, {64, 64}, {65, 128}};
        for (long[] c : floatsAndAligned) {
            assertEquals(c[1], MemoryPlan.align(c[0]), "align(" + c[0] + ")");
        }
    }

    @Test
    void optimizerStateIsSizedByTheParametersOnly() {
        assertRefusedWith("optimizer state is sized by the parameters: use addStateSlot",
                () -> new MemoryPlan.Builder().add(Region.OPTIMIZER_STATE, "m", Shape.of(3)));
    }

    /** A backend whose fresh storage holds 7 everywhere, so that the plan's zero fill shows. */
    private static final class DirtyAllocations extends ForwardingBackend {
        Storage last;

        DirtyAllocations() {
            super(new CpuBackend());
        }

        @Override
        public Storage allocate(long floats, String label) {
            last = delegate.allocate(floats, label);
            float[] sevens = new float[Math.toIntExact(floats)];
            Arrays.fill(sevens, 7f);
            delegate.upload(new Tensor(last, 0, Shape.of(sevens.length), label), sevens, 0);
            return last;
        }
    }

    @Test
    void theOneAllocationIsZeroedAndEveryBufferAndRegionIsAViewIntoIt() {
        MemoryPlan plan = plan();
        DirtyAllocations backend = new DirtyAllocations();
        plan.allocate(backend, "model");
        assertEquals(1088, backend.last.capacity());
        assertEquals("model", backend.last.label());
        float[] all = new float[1088];
        backend.download(all, 0, new Tensor(backend.last, 0, Shape.of(1088), "all"));
        assertArrayEquals(new float[1088], all, "zero-filled");

        Tensor b = plan.tensor(2);
        assertSame(backend.last, b.storage());
        assertEquals(64, b.offset());
        assertEquals(Shape.of(2, 35), b.shape());
        assertEquals("b", b.name());
        Tensor state = plan.region(Region.OPTIMIZER_STATE);
        assertSame(backend.last, state.storage());
        assertEquals(384, state.offset());
        assertEquals(Shape.of(384), state.shape());
        assertEquals("optimizer_state", state.name());

        assertFalse(backend.last.isClosed());
        plan.release();
        assertTrue(backend.last.isClosed());
    }

    @Test
    void releasingAPlanNeverAllocatedDoesNothing() {
        plan().release();
    }

    @Test
    void thePrintedPlanListsEveryBufferInBytesAndTheTotalsOfTheRegionsInUse() {
        String printed = plan().toString();
        List<String> lines = printed.lines().toList();
        assertEquals(String.format("%-22s %12s %12s  %-18s %s", "region", "offset", "bytes", "shape", "buffer"),
                lines.get(0));
        assertEquals(String.format("%-22s %12d %12d  %-18s %s", "parameters", 256, 280, "[2, 35]", "b"), lines.get(3));
        assertEquals(String.format("%-22s %12s %12d", "total optimizer_state", "", 384 * 4), lines.get(12));
        assertFalse(printed.contains("total activations"), printed);
        assertEquals(String.format("%-22s %12s %12d  (%s)", "total", "", 1088 * 4, "4.3 KiB"),
                lines.get(lines.size() - 1));
        assertEquals(1 + 9 + 6 + 1, lines.size(), printed);
    }

    @Test
    void humanBytesPicksTheLargestUnitBelowTheSize() {
        assertEquals("1023 B", MemoryPlan.humanBytes(1023));
        assertEquals("1.0 KiB", MemoryPlan.humanBytes(1024));
        assertEquals("1024.0 KiB", MemoryPlan.humanBytes(1024 * 1024 - 1));
        assertEquals("1.0 MiB", MemoryPlan.humanBytes(1024 * 1024));
        assertEquals("1.5 MiB", MemoryPlan.humanBytes(3 * 512 * 1024));
        assertEquals("1024.0 MiB", MemoryPlan.humanBytes(1024L * 1024 * 1024 - 1));
        assertEquals("1.00 GiB", MemoryPlan.humanBytes(1024L * 1024 * 1024));
        assertEquals("2.50 GiB", MemoryPlan.humanBytes(5L * 512 * 1024 * 1024));
    }
}
