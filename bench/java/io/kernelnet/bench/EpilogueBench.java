package io.kernelnet.bench;

import io.kernelnet.backend.Activation;
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

/**
 * The fused bias + ReLU epilogue against the ops it replaced, on the layers of the mlp and the cnn (MnistModels) at
 * each batch size, with our kernels: forward biasAdd + activationForward vs biasActivationForward, backward
 * activationBackward + biasGrad vs biasActivationBackward, and for the Dense layers gemm + biasActivationForward vs
 * gemmBiasActivation (the GEMM epilogue). Each way is timed alone between two CUDA events after warm-up; the
 * median of the runs is reported with the fused way's bytes per second (its reads and writes over its time), as a
 * table and as JSON. bench/NOTES.md holds the predictions these check.
 *
 * <p>Usage: {@code EpilogueBench [--batches 128,512] [--runs 30] [--warmup 5] [--out results.json]}
 */
public final class EpilogueBench {
    private record Result(String layer, String pass, double unfusedMs, double fusedMs, long fusedBytes) {
    }

    /** A layer's activated output per example [c, inner...], and for Dense layers the GEMM's inner dimension. */
    private record Layer(String name, Shape perExample, int gemmK) {
    }

    private static final Layer[] LAYERS = {
        new Layer("mlp dense", Shape.of(128), 784),
        new Layer("cnn conv2d", Shape.of(32, 26, 26), 0),
        new Layer("cnn conv2d_1", Shape.of(64, 11, 11), 0),
        new Layer("cnn conv2d_2", Shape.of(64, 3, 3), 0),
        new Layer("cnn dense", Shape.of(64), 576)};

    private EpilogueBench() {
    }

    public static void main(String[] args) throws IOException {
        GpuBenchArgs parsed = GpuBenchArgs.parse("epilogue-bench", args, "--batches", "128,512", "--batches N,N");
        int[] batches = parsed.ownInts();
        GpuBenchArgs.requireGpu("epilogue-bench");
        List<Result> results = new ArrayList<>();
        String device;
        try (CudaBackend b = new CudaBackend(0, CudaOptions.DEFAULT.withEngine(Engine.KERNELS))) {
            device = b.deviceInfo().summary();
            for (int batch : batches) {
                for (Layer layer : LAYERS) {
                    bench(b, layer, batch, parsed.runs(), parsed.warmup(), results);
                }
            }
        }
        print(device, parsed.runs(), results);
        if (parsed.out() != null) {
            Files.writeString(parsed.out(), json(device, parsed.runs(), parsed.warmup(), results),
                    StandardCharsets.UTF_8);
        }
    }

    private static void bench(CudaBackend b, Layer layer, int batch, int runs, int warmup, List<Result> results) {
        Shape shape = layer.perExample().batched(batch);
        int c = shape.dim(1);
        long n = ConvBench.align(shape.size());
        long k = layer.gemmK() == 0 ? 0 : ConvBench.align((long) batch * layer.gemmK());
        long w = layer.gemmK() == 0 ? 0 : ConvBench.align((long) layer.gemmK() * c);
        try (Storage s = b.allocate(5 * n + ConvBench.align(c) * 2 + k + w, "epilogue bench")) {
            Tensor z = ConvBench.random(b, s, 0, shape, "z");
            Tensor y = new Tensor(s, n, shape, "y");
            Tensor dy = ConvBench.random(b, s, 2 * n, shape, "dy");
            Tensor dz = new Tensor(s, 3 * n, shape, "dz");
            Tensor scratch = new Tensor(s, 4 * n, shape, "z copy");
            Tensor bias = ConvBench.random(b, s, 5 * n, Shape.of(c), "bias");
            Tensor dBias = new Tensor(s, 5 * n + ConvBench.align(c), Shape.of(c), "dBias");
            String name = layer.name() + " " + shape;
            long elements = shape.size();
            b.copy(scratch, z);
            results.add(new Result(name, "forward",
                    time(b, runs, warmup, () -> {
                        b.biasAdd(scratch, bias);
                        b.activationForward(y, scratch, Activation.RELU, 0);
                    }),
                    time(b, runs, warmup, () -> b.biasActivationForward(scratch, scratch, bias, Activation.RELU, 0)),
                    8 * elements));
            results.add(new Result(name, "backward",
                    time(b, runs, warmup, () -> {
                        b.activationBackward(dz, dy, z, null, Activation.RELU, 0);
                        b.biasGrad(dBias, dz);
                    }),
                    time(b, runs, warmup, () -> b.biasActivationBackward(dz, dBias, dy, y, Activation.RELU, 0)),
                    12 * elements));
            if (layer.gemmK() > 0) {
                long base = 5 * n + 2 * ConvBench.align(c);
                Tensor a = ConvBench.random(b, s, base, Shape.of(batch, layer.gemmK()), "a");
                Tensor kernel = ConvBench.random(b, s, base + k, Shape.of(layer.gemmK(), c), "kernel");
                results.add(new Result(name, "gemm forward",
                        time(b, runs, warmup, () -> {
                            b.gemm(y, a, false, kernel, false, 1, 0);
                            b.biasActivationForward(y, y, bias, Activation.RELU, 0);
                        }),
                        time(b, runs, warmup, () -> b.gemmBiasActivation(y, a, kernel, bias, Activation.RELU, 0)),
                        4 * ((long) batch * layer.gemmK() + (long) layer.gemmK() * c + elements)));
            }
        }
    }

    private static double time(CudaBackend b, int runs, int warmup, Runnable pass) {
        try (EventTimer timer = b.newTimer()) {
            for (int i = 0; i < warmup; i++) {
                pass.run();
            }
            b.synchronize();
            double[] ms = new double[runs];
            for (int i = 0; i < runs; i++) {
                timer.start();
                pass.run();
                ms[i] = timer.stopMillis();
            }
            Arrays.sort(ms);
            return ms[runs / 2];
        }
    }

    private static void print(String device, int runs, List<Result> results) {
        System.out.printf(Locale.ROOT, "epilogue-bench: %s, relu, median of %d runs (ms)%n", device, runs);
        String format = "%-34s %-13s %10s %10s %7s %10s%n";
        System.out.printf(Locale.ROOT, format, "layer", "pass", "unfused", "fused", "ratio", "fused GB/s");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, format, r.layer(), r.pass(), String.format(Locale.ROOT, "%.4f", r.unfusedMs()),
                    String.format(Locale.ROOT, "%.4f", r.fusedMs()),
                    String.format(Locale.ROOT, "%.2f", r.fusedMs() / r.unfusedMs()),
                    String.format(Locale.ROOT, "%.0f", r.fusedBytes() / (r.fusedMs() * 1e6)));
        }
    }

    private static String json(String device, int runs, int warmup, List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"bench\": \"epilogue\",\n  \"date\": \"").append(Instant.now()).append("\",\n  \"device\": \"")
                .append(ConvBench.escape(device)).append("\",\n  \"runs\": ").append(runs).append(",\n  \"warmup\": ")
                .append(warmup).append(",\n  \"results\": [\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            sb.append(String.format(Locale.ROOT, "    {\"layer\": \"%s\", \"pass\": \"%s\", \"unfused_ms\": %.5f, "
                    + "\"fused_ms\": %.5f, \"fused_bytes\": %d}%s%n", ConvBench.escape(r.layer()), r.pass(),
                    r.unfusedMs(), r.fusedMs(), r.fusedBytes(), i + 1 < results.size() ? "," : ""));
        }
        return sb.append("  ]\n}\n").toString();
    }
}
