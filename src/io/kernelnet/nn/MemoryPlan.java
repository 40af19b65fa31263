package io.kernelnet.nn;

import io.kernelnet.backend.Backend;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Every buffer a built model uses, laid out in one allocation (llm.c's malloc_and_point_activations). Regions
 * follow each other in enum order; each buffer starts on a 256-byte boundary. Parameters and gradients hold the
 * same buffers in the same order, so that their regions, like each optimizer state slot, are flat runs of equal
 * layout that one optimizer call updates at once.
 */
public final class MemoryPlan {
    /** Buffer alignment in floats: 256 bytes, what cudaMalloc guarantees and vector loads like. */
    public static final int ALIGN_FLOATS = 64;

    /** METRICS: the training step's scalars and their record ({@link StepMetrics}). */
    public enum Region {
        PARAMETERS, GRADIENTS, OPTIMIZER_STATE, BATCH_IO, ACTIVATIONS, ACTIVATION_GRADIENTS, SCRATCH, METRICS
    }

    public record Entry(Region region, String name, Shape shape, long offset) {
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<Region, long[]> regionBounds = new EnumMap<>(Region.class);
    private long totalFloats;
    private Storage storage;

    /** Collects buffers, then {@link #layOut()} fixes their offsets. */
    public static final class Builder {
        private final List<Object[]> requests = new ArrayList<>();

        /** Adds a buffer; returns its index in the plan. */
        public int add(Region region, String name, Shape shape) {
            if (region == Region.OPTIMIZER_STATE) {
                throw new IllegalArgumentException("optimizer state is sized by the parameters: use addStateSlot");
            }
            requests.add(new Object[] {region, name, shape});
            return requests.size() - 1;
        }

        /** Adds an optimizer state buffer the size of the whole parameter region; returns its index. */
        public int addStateSlot(String name) {
            requests.add(new Object[] {Region.OPTIMIZER_STATE, name, null});
            return requests.size() - 1;
        }

        public MemoryPlan layOut() {
            MemoryPlan plan = new MemoryPlan();
            long offset = 0;
            long paramFloats = 0;
            Entry[] placed = new Entry[requests.size()];
            for (Region region : Region.values()) {
                long start = offset;
                for (int i = 0; i < requests.size(); i++) {
                    Object[] r = requests.get(i);
                    if (r[0] != region) {
                        continue;
                    }
                    Shape shape = r[2] != null ? (Shape) r[2] : Shape.of(Math.toIntExact(paramFloats));
                    placed[i] = new Entry(region, (String) r[1], shape, offset);
                    offset = align(offset + shape.size());
                }
                plan.regionBounds.put(region, new long[] {start, offset});
                if (region == Region.PARAMETERS) {
                    paramFloats = offset;  // the first region: it starts at 0
                }
            }
            plan.entries.addAll(List.of(placed));
            plan.totalFloats = offset;
            return plan;
        }
    }

    private MemoryPlan() {
    }

    static long align(long floats) {
        return (floats + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
    }

    public List<Entry> entries() {
        return List.copyOf(entries);
    }

    public long totalFloats() {
        return totalFloats;
    }

    public long totalBytes() {
        return totalFloats * Float.BYTES;
    }

    public long regionFloats(Region region) {
        long[] b = regionBounds.get(region);
        return b[1] - b[0];
    }

    /** Makes the one allocation; the plan's tensors are views into it until {@link #release()}. */
    void allocate(Backend backend, String label) {
        storage = backend.allocate(totalFloats, label);
        backend.fill(new Tensor(storage, 0, Shape.of(Math.toIntExact(totalFloats)), label), 0f);
    }

    Tensor tensor(int index) {
        Entry e = entries.get(index);
        return new Tensor(storage, e.offset(), e.shape(), e.name());
    }

    /** The whole region as one flat tensor (parameters, gradients). */
    Tensor region(Region region) {
        long[] b = regionBounds.get(region);
        return new Tensor(storage, b[0], Shape.of(Math.toIntExact(b[1] - b[0])), region.name().toLowerCase());
    }

    void release() {
        if (storage != null) {
            storage.close();
        }
    }

    /** One line per buffer (offset, bytes, shape, name), region totals, and the total. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-22s %12s %12s  %-18s %s%n", "region", "offset", "bytes", "shape", "buffer"));
        for (Entry e : entries) {
            sb.append(String.format("%-22s %12d %12d  %-18s %s%n", e.region().name().toLowerCase(),
                    e.offset() * Float.BYTES, e.shape().size() * Float.BYTES, e.shape(), e.name()));
        }
        for (Region r : Region.values()) {
            long floats = regionFloats(r);
            if (floats > 0) {
                sb.append(String.format("%-22s %12s %12d%n", "total " + r.name().toLowerCase(), "", floats * Float.BYTES));
            }
        }
        sb.append(String.format("%-22s %12s %12d  (%s)%n", "total", "", totalBytes(), humanBytes(totalBytes())));
        return sb.toString();
    }

    public static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format("%.1f MiB", bytes / (1024.0 * 1024));
        }
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
