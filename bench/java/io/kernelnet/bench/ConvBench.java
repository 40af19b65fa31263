package io.kernelnet.bench;

import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.Engine;
import io.kernelnet.backend.cuda.EventTimer;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The cnn's (MnistModels.cnn) conv and pool layers at batch 128: forward, backward-data and backward-filter of
 * each convolution, forward and backward of each max-pool, with our kernels and with cuDNN. Each pass is timed
 * alone between two CUDA events on the backend's stream after warm-up, with the workspace its build-time plan
 * asked for; the median of the runs is reported, as a table and as JSON. The runs reuse one input set, so a
 * layer small enough finds it in the L2 ({@code bench kernels} rotates the inputs and compares the same passes).
 *
 * <p>Usage: {@code ConvBench [--batch 128] [--runs 30] [--warmup 5] [--out results.json]}
 */
public final class ConvBench {
    private record Result(String layer, String pass, String engine, String choice, double medianMs, double minMs) {
    }

    private interface Pass {
        void run();
    }

    private ConvBench() {
    }

    public static void main(String[] args) throws IOException {
        GpuBenchArgs parsed = GpuBenchArgs.parse("conv-bench", args, "--batch", "128", "--batch N");
        int batch = Integer.parseInt(parsed.own());
        GpuBenchArgs.requireGpu("conv-bench");
        Conv2dGeometry[] convs = {
            Conv2dGeometry.of(batch, 1, 28, 28, 32, 3, 3, Padding.NONE),
            Conv2dGeometry.of(batch, 32, 13, 13, 64, 3, 3, Padding.NONE),
            Conv2dGeometry.of(batch, 64, 5, 5, 64, 3, 3, Padding.NONE)};
        Pool2dGeometry[] pools = {
            new Pool2dGeometry(batch, 32, 26, 26, 2, 2, 2, 2, Padding.NONE),
            new Pool2dGeometry(batch, 64, 11, 11, 2, 2, 2, 2, Padding.NONE)};
        String[] convNames = {"conv2d", "conv2d_1", "conv2d_2"};
        String[] poolNames = {"max_pooling2d", "max_pooling2d_1"};
        List<Result> results = new ArrayList<>();
        String device = "";
        for (Engine engine : new Engine[] {Engine.KERNELS, Engine.VENDOR}) {
            try (CudaBackend backend = new CudaBackend(0, CudaOptions.DEFAULT.withEngine(engine))) {
                device = backend.deviceInfo().summary();
                if (engine == Engine.VENDOR && !backend.vendorConvAvailable()) {
                    System.out.println("conv-bench: cuDNN not available: " + backend.vendorConvUnavailableReason());
                    continue;
                }
                String label = engine == Engine.KERNELS ? "kernels" : backend.convDescription();
                for (int i = 0; i < convs.length; i++) {
                    benchConv(backend, label, convNames[i], convs[i], parsed.runs(), parsed.warmup(), results);
                }
                for (int i = 0; i < pools.length; i++) {
                    benchPool(backend, label, poolNames[i], pools[i], parsed.runs(), parsed.warmup(), results);
                }
            }
        }
        print(device, parsed.runs(), results);
        if (parsed.out() != null) {
            Files.writeString(parsed.out(), json(device, batch, parsed.runs(), parsed.warmup(), results),
                    StandardCharsets.UTF_8);
        }
    }

    private static void benchConv(CudaBackend b, String engine, String name, Conv2dGeometry g, int runs, int warmup,
                                  List<Result> results) {
        long ws = b.planConv2d(g).workspaceFloats();
        String choice = b.convChoice(g);
        long x = align(g.inputShape().size());
        long w = align(g.weightShape().size());
        long y = align(g.outputShape().size());
        try (Storage s = b.allocate(2 * (x + w + y) + Math.max(ws, 1), "conv bench")) {
            Tensor tx = random(b, s, 0, g.inputShape(), "x");
            Tensor tw = random(b, s, x, g.weightShape(), "w");
            Tensor ty = new Tensor(s, x + w, g.outputShape(), "y");
            Tensor tdx = new Tensor(s, x + w + y, g.inputShape(), "dx");
            Tensor tdw = new Tensor(s, 2 * x + w + y, g.weightShape(), "dw");
            Tensor tdy = random(b, s, 2 * x + 2 * w + y, g.outputShape(), "dy");
            b.useWorkspace(ws > 0 ? new Tensor(s, 2 * (x + w + y), Shape.of(Math.toIntExact(ws)), "workspace") : null);
            String layer = name + " " + g.inputShape() + " * " + g.weightShape();
            results.add(time(b, layer, "forward", engine, choice, runs, warmup, () -> b.conv2dForward(ty, tx, tw, g)));
            results.add(time(b, layer, "backward-data", engine, choice, runs, warmup,
                    () -> b.conv2dBackwardData(tdx, tdy, tw, g)));
            results.add(time(b, layer, "backward-filter", engine, choice, runs, warmup,
                    () -> b.conv2dBackwardFilter(tdw, tdy, tx, g)));
            b.useWorkspace(null);
        }
    }

    private static void benchPool(CudaBackend b, String engine, String name, Pool2dGeometry g, int runs, int warmup,
                                  List<Result> results) {
        long x = align(g.inputShape().size());
        long y = align(g.outputShape().size());
        try (Storage s = b.allocate(2 * x + 3 * y, "pool bench")) {
            Tensor tx = random(b, s, 0, g.inputShape(), "x");
            Tensor ty = new Tensor(s, x, g.outputShape(), "y");
            Tensor ta = new Tensor(s, x + y, g.outputShape(), "argmax");
            Tensor tdy = random(b, s, x + 2 * y, g.outputShape(), "dy");
            Tensor tdx = new Tensor(s, x + 3 * y, g.inputShape(), "dx");
            String layer = name + " " + g.inputShape() + " " + g.kh() + "x" + g.kw();
            b.maxPool2dForward(ty, ta, tx, g);
            results.add(time(b, layer, "forward", engine, "", runs, warmup, () -> b.maxPool2dForward(ty, ta, tx, g)));
            results.add(time(b, layer, "backward", engine, "", runs, warmup,
                    () -> b.maxPool2dBackward(tdx, tdy, tx, ty, ta, g)));
        }
    }

    static Tensor random(CudaBackend b, Storage s, long offset, Shape shape, String name) {
        Tensor t = new Tensor(s, offset, shape, name);
        Random r = new Random(shape.size() * 31 + name.hashCode());
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        b.upload(t, v, 0);
        return t;
    }

    private static Result time(CudaBackend b, String layer, String pass, String engine, String choice, int runs,
                               int warmup, Pass p) {
        try (EventTimer timer = b.newTimer()) {
            double[] ms = TimedRuns.time(TimedRuns.events(timer), warmup, runs, 1, s -> p.run());
            return new Result(layer, pass, engine, choice == null ? "" : choice, TimedRuns.median(ms),
                    Arrays.stream(ms).min().orElse(Double.NaN));
        }
    }

    static long align(long floats) {
        return (floats + 63) / 64 * 64;
    }

    private static void print(String device, int runs, List<Result> results) {
        System.out.printf(Locale.ROOT, "conv-bench: %s, median of %d runs (ms)%n", device, runs);
        String format = "%-48s %-16s %10s %10s %8s%n";
        System.out.printf(Locale.ROOT, format, "layer", "pass", "kernels", "cuDNN", "ratio");
        for (Result r : results) {
            if (!r.engine().equals("kernels")) {
                continue;
            }
            Result v = results.stream().filter(o -> !o.engine().equals("kernels") && o.layer().equals(r.layer())
                    && o.pass().equals(r.pass())).findFirst().orElse(null);
            System.out.printf(Locale.ROOT, format, r.layer(), r.pass(), String.format(Locale.ROOT, "%.4f", r.medianMs()),
                    v == null ? "-" : String.format(Locale.ROOT, "%.4f", v.medianMs()),
                    v == null ? "-" : String.format(Locale.ROOT, "%.2f", r.medianMs() / v.medianMs()));
        }
    }

    private static String json(String device, int batch, int runs, int warmup, List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"bench\": \"conv\",\n  \"date\": \"").append(Instant.now()).append("\",\n  \"device\": \"")
                .append(escape(device)).append("\",\n  \"batch\": ").append(batch).append(",\n  \"runs\": ")
                .append(runs).append(",\n  \"warmup\": ").append(warmup).append(",\n  \"results\": [\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            sb.append(String.format(Locale.ROOT, "    {\"layer\": \"%s\", \"pass\": \"%s\", \"engine\": \"%s\", "
                    + "\"plan\": \"%s\", \"median_ms\": %.5f, \"min_ms\": %.5f}%s%n", escape(r.layer()), r.pass(),
                    escape(r.engine()), escape(r.choice()), r.medianMs(), r.minMs(), i + 1 < results.size() ? "," : ""));
        }
        return sb.append("  ]\n}\n").toString();
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
