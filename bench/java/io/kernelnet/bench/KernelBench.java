package io.kernelnet.bench;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.ConvPlan;
import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.backend.cuda.CudaDeviceInfo;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.CudaRuntime;
import io.kernelnet.backend.cuda.Engine;
import io.kernelnet.backend.cuda.EventTimer;
import io.kernelnet.backend.cuda.VendorLibraries;
import io.kernelnet.io.Json;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.Supplier;

/**
 * {@code kernelnet bench kernels}: every GPU op of the Backend at the shapes of {@link KernelCases}, ours and, for
 * GEMM, convolution and pooling, cuBLAS's and cuDNN's, each against the device's ceilings measured in the same run.
 * Method ({@link TimedRuns}): per case one allocation holds as many copies of its operands (random in (-1, 1], never
 * zero) as {@link TimedRuns#rotationSets} asks for the device's L2; after setting them up the L2 is evicted by writing
 * twice its size; then warm-up calls and timed calls, each alone between two CUDA events, rotating over the copies.
 */
public final class KernelBench {
    /** What {@code bench kernels} was asked to do; null paths are outputs not asked for. */
    public record Options(int ordinal, List<String> models, List<Integer> batches, long largeBytes, int warmup,
                          int runs, Path out, Path html) {
        public Options {
            models = List.copyOf(models);
            batches = List.copyOf(batches);
        }
    }

    /** Floats of random values uploaded over and over to fill the operands. */
    private static final int RANDOM_CHUNK = 1 << 22;
    /** Operands start at multiples of 64 floats, the graph layer's alignment. */
    private static final int ALIGN = 64;

    private KernelBench() {
    }

    /**
     * Runs the bench, prints the report, writes the JSON and HTML asked for; returns the exit status, 0. When a case
     * fails the others still run and are written, then the failure is thrown (exit status 1).
     */
    public static int run(Options o, PrintStream out) throws IOException {
        Availability cuda = CudaRuntime.availability();
        if (!cuda.usable()) {
            throw new IllegalStateException("bench kernels: no usable GPU: " + cuda.reason());
        }
        cuda.refuseTimingOnEmulatedDevice("bench kernels");
        if (o.ordinal() >= cuda.devices().size()) {
            throw new IllegalStateException("bench kernels: no device cuda:" + o.ordinal() + " (" + cuda.devices().size()
                    + " found)");
        }
        CudaDeviceInfo device = cuda.devices().get(o.ordinal());
        List<KernelCase> cases = KernelCases.all(o.models(), o.batches(), o.largeBytes());
        out.printf("bench kernels: %s, %d cases%n", device.summary(), cases.size());
        // a device that does not report its L2 is taken to have an H100's
        long l2 = device.l2Bytes() > 0 ? device.l2Bytes() : 50L << 20;
        // the copy ceiling is taken on at least 256 MiB whatever --large-mib asks, so that it is HBM's and not the L2's
        long copyBytes = Math.max(o.largeBytes(), KernelCases.LARGE_BYTES);
        List<KernelResult> results = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        double copy;
        try (CudaBackend backend = new CudaBackend(o.ordinal(), new CudaOptions(Engine.KERNELS, false, false));
             EventTimer timer = backend.newTimer();
             Runner ours = new Runner(backend, TimedRuns.events(timer), l2, o.warmup(), o.runs(),
                     backend.counters()::lastGemmKernel)) {
            copy = ours.measure(ceilingCase(new OpSpec.Copy(copyBytes / Float.BYTES)), KernelResult.OURS).gbps();
            for (KernelCase c : cases) {
                measure(ours, c, KernelResult.OURS, out, failures).ifPresent(results::add);
            }
        }
        int sgemmN = KernelCases.SQUARE[KernelCases.SQUARE.length - 1];
        double sgemm = Double.NaN;
        VendorLibraries.Status cublas = VendorLibraries.cublas();
        if (cublas.loaded()) {
            try {
                sgemm = measureVendor(o, l2, sgemmN, cases, results, out, failures);
            } catch (RuntimeException e) {
                // our figures are still worth writing
                out.println("bench kernels: FAILED the vendor backend: " + e.getMessage());
                failures.add("the vendor backend: " + e.getMessage());
            }
        } else {
            out.println("bench kernels: cuBLAS not loaded (" + cublas.detail() + "): no vendor figures");
        }
        KernelReport report = new KernelReport(device.summary(), l2, o.warmup(), o.runs(),
                new KernelReport.Ceilings(copy, copyBytes, sgemm, sgemmN), results);
        out.print(report.format());
        String date = Instant.now().toString();
        if (o.out() != null) {
            TrainBench.writeAtomically(o.out(), Json.write(report.json(date, TrainBench.commit())) + "\n");
            out.println("json: " + o.out());
        }
        if (o.html() != null) {
            TrainBench.writeAtomically(o.html(), report.html(device.summary() + ", commit " + TrainBench.commit() + ", "
                    + date));
            out.println("html: " + o.html());
        }
        if (!failures.isEmpty()) {
            throw new IllegalStateException("bench kernels: " + failures.size() + " case(s) failed, first: "
                    + failures.get(0));
        }
        return 0;
    }

    /**
     * cuBLAS's SGEMM ceiling at {@code sgemmN}, returned, and the vendor's figures for the cases it has, added to
     * {@code results}.
     */
    private static double measureVendor(Options o, long l2, int sgemmN, List<KernelCase> cases,
                                        List<KernelResult> results, PrintStream out, List<String> failures) {
        try (CudaBackend backend = new CudaBackend(o.ordinal(), new CudaOptions(Engine.VENDOR, false, false));
             EventTimer timer = backend.newTimer();
             Runner vendor = new Runner(backend, TimedRuns.events(timer), l2, o.warmup(), o.runs(),
                     backend.counters()::lastGemmKernel)) {
            double sgemm = vendor.measure(ceilingCase(new OpSpec.Gemm(sgemmN, sgemmN, sgemmN, false, false)), "cublas")
                    .gflops();
            boolean cudnn = backend.vendorConvAvailable();
            if (!cudnn) {
                out.println("bench kernels: cuDNN not available: " + backend.vendorConvUnavailableReason());
            }
            for (KernelCase c : cases) {
                if (c.family().equals(KernelCases.GEMM)) {
                    measure(vendor, c, "cublas", out, failures).ifPresent(results::add);
                } else if (c.hasVendor() && cudnn) {
                    // a shape cuDNN cannot do runs on our kernels: no vendor figure rather than ours twice
                    long before = cudnnCalls(backend);
                    Optional<KernelResult> r = measure(vendor, c, "cudnn", out, failures);
                    if (r.isPresent() && cudnnCalls(backend) == before) {
                        out.println("bench kernels: " + c.label() + ": cuDNN did not run it (" + r.get().detail()
                                + "); no vendor figure");
                    } else {
                        r.ifPresent(results::add);
                    }
                }
            }
            return sgemm;
        }
    }

    /**
     * One case on one engine, or empty when it failed: the failure is printed and kept, and the bench goes on (a
     * sticky CUDA error fails every later case too, each named), so that the other figures are still written.
     */
    static Optional<KernelResult> measure(Runner runner, KernelCase c, String engine, PrintStream out,
                                          List<String> failures) {
        try {
            return Optional.of(runner.measure(c, engine));
        } catch (RuntimeException e) {
            String failure = c.label() + " on " + engine + ": " + e.getMessage();
            out.println("bench kernels: FAILED " + failure);
            failures.add(failure);
            return Optional.empty();
        }
    }

    private static long cudnnCalls(CudaBackend b) {
        return b.counters().convCalls(Engine.VENDOR) + b.counters().poolCalls(Engine.VENDOR);
    }

    private static KernelCase ceilingCase(OpSpec spec) {
        return new KernelCase("ceiling", "ceiling", "ceiling", 0, "", spec);
    }

    /**
     * Where each operand of one input set starts, in floats, each at a multiple of {@link #ALIGN}; the last element is
     * the set's aligned size.
     */
    static long[] layout(List<Shape> operands) {
        long[] offsets = new long[operands.size() + 1];
        for (int i = 0; i < operands.size(); i++) {
            offsets[i + 1] = offsets[i] + (operands.get(i).size() + ALIGN - 1) / ALIGN * ALIGN;
        }
        return offsets;
    }

    /**
     * Measures cases on one backend: random values to fill operands with, and a buffer of twice the L2 whose writing
     * evicts it. Backend-agnostic (the CPU tests run it with a wall clock); the bench runs it on CUDA with events.
     */
    static final class Runner implements AutoCloseable {
        private final Backend backend;
        private final TimedRuns.Clock clock;
        private final long l2Bytes;
        private final int warmup;
        private final int runs;
        private final Supplier<String> lastGemmKernel;
        private final Storage evict;
        private final Tensor evictTensor;
        private final float[] random = new float[RANDOM_CHUNK];

        Runner(Backend backend, TimedRuns.Clock clock, long l2Bytes, int warmup, int runs,
               Supplier<String> lastGemmKernel) {
            this.backend = backend;
            this.clock = clock;
            this.l2Bytes = l2Bytes;
            this.warmup = warmup;
            this.runs = runs;
            this.lastGemmKernel = lastGemmKernel;
            long evictFloats = Math.max(1, 2 * l2Bytes / Float.BYTES);
            evict = backend.allocate(evictFloats, "bench kernels: L2 eviction");
            evictTensor = new Tensor(evict, 0, Shape.of(Math.toIntExact(evictFloats)), "evict");
            Random r = new Random(1234);
            for (int i = 0; i < random.length; i++) {
                random[i] = 1f - 2 * r.nextFloat(); // (-1, 1], never zero
            }
        }

        KernelResult measure(KernelCase c, String engine) {
            OpSpec spec = c.spec();
            ConvPlan plan = spec.plan(backend);
            List<Shape> shapes = spec.operands();
            long[] offsets = layout(shapes);
            long setFloats = offsets[shapes.size()];
            int sets = TimedRuns.rotationSets(setFloats * Float.BYTES, l2Bytes, warmup + runs);
            long operandFloats = sets * setFloats;
            long workspace = plan.workspaceFloats();
            try (Storage storage = backend.allocate(operandFloats + Math.max(workspace, 1), "bench kernels: "
                    + c.label())) {
                for (long at = 0; at < operandFloats; at += RANDOM_CHUNK) {
                    int n = (int) Math.min(RANDOM_CHUNK, operandFloats - at);
                    backend.upload(new Tensor(storage, at, Shape.of(n), "random"), random, 0);
                }
                Tensor[][] t = new Tensor[sets][shapes.size()];
                for (int s = 0; s < sets; s++) {
                    for (int i = 0; i < shapes.size(); i++) {
                        t[s][i] = new Tensor(storage, s * setFloats + offsets[i], shapes.get(i), "operand" + i);
                    }
                    spec.prepare(backend, t[s]);
                }
                backend.useWorkspace(workspace > 0 ? new Tensor(storage, operandFloats,
                        Shape.of(Math.toIntExact(workspace)), "workspace") : null);
                try {
                    backend.fill(evictTensor, 0f);
                    double[] ms = TimedRuns.time(clock, warmup, runs, sets, s -> spec.launch(backend, t[s]));
                    String detail = spec instanceof OpSpec.Gemm ? lastGemmKernel.get() : plan.description();
                    return new KernelResult(c, engine, detail, TimedRuns.median(ms),
                            Arrays.stream(ms).min().orElse(Double.NaN), runs, sets);
                } finally {
                    backend.useWorkspace(null);
                }
            }
        }

        /** Frees the eviction buffer; the backend is the caller's. */
        @Override
        public void close() {
            evict.close();
        }
    }
}
