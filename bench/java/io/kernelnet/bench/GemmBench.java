package io.kernelnet.bench;

import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.Engine;
import io.kernelnet.backend.cuda.EventTimer;
import io.kernelnet.backend.cuda.VendorLibraries;
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
 * Square FP32 GEMM (C = A B, row-major, N = 1024, 2048, 4096): our kernels (the tile the backend picks, and TF32)
 * against cuBLAS (pedantic FP32, and TF32). Each timing is one GEMM between two CUDA events on the backend's
 * stream, after warm-up; the median of the runs is reported. Inputs are random, and the runs rotate over enough
 * input sets ({@link TimedRuns#rotationSets}: more than twice the L2 between two uses of one) that no run finds its
 * operands in the L2 cache.
 *
 * <p>Usage: {@code GemmBench [--sizes 1024,2048,4096] [--runs 30] [--warmup 5] [--out results.json]}
 */
public final class GemmBench {
    private record Config(Engine engine, boolean tf32) {
        String precision() {
            return tf32 ? "tf32" : "fp32";
        }
    }

    private record Result(int n, Config config, String kernel, double medianMs, double minMs, double gflops,
                          double maxRelDiff) {
    }

    private GemmBench() {
    }

    public static void main(String[] args) throws IOException {
        GpuBenchArgs parsed = GpuBenchArgs.parse("gemm-bench", args, "--sizes", "1024,2048,4096", "--sizes N,N");
        int[] sizes = parsed.ownInts();
        if (parsed.runs() < 20) {
            throw new IllegalArgumentException("gemm-bench: --runs must be at least 20 for a meaningful median");
        }
        Availability cuda = GpuBenchArgs.requireGpu("gemm-bench");
        VendorLibraries.Status cublas = VendorLibraries.cublas();
        List<Config> configs = new ArrayList<>(List.of(new Config(Engine.KERNELS, false),
                new Config(Engine.KERNELS, true)));
        if (cublas.loaded()) {
            configs.add(new Config(Engine.VENDOR, false));
            configs.add(new Config(Engine.VENDOR, true));
        } else {
            System.err.println("gemm-bench: cuBLAS not loaded (" + cublas.detail() + "): our kernels only");
        }
        List<Result> results = new ArrayList<>();
        for (int n : sizes) {
            results.addAll(benchSize(n, configs, parsed.runs(), parsed.warmup(), cuda.devices().get(0).l2Bytes()));
        }
        String device = cuda.devices().get(0).summary();
        printTable(device, cuda, cublas, parsed.runs(), results);
        if (parsed.out() != null) {
            Files.writeString(parsed.out(), json(device, cuda, cublas, parsed.runs(), parsed.warmup(), results),
                    StandardCharsets.UTF_8);
            System.out.println("gemm-bench: wrote " + parsed.out());
        }
    }

    private static List<Result> benchSize(int n, List<Config> configs, int runs, int warmup, long l2Bytes) {
        long matrix = (long) n * n;
        int sets = TimedRuns.rotationSets(3 * matrix * Float.BYTES, l2Bytes, warmup + runs);
        Random random = new Random(n);
        float[][] a = new float[sets][];
        float[][] b = new float[sets][];
        for (int s = 0; s < sets; s++) {
            a[s] = uniform(random, (int) matrix);
            b[s] = uniform(random, (int) matrix);
        }
        List<Result> results = new ArrayList<>();
        float[] reference = null;
        for (Config config : configs) {
            try (CudaBackend backend = new CudaBackend(0, new CudaOptions(config.engine(), config.tf32(), false));
                 EventTimer timer = backend.newTimer()) {
                // the graph layer's layout: one allocation, tensors at 64-float-aligned offsets
                Storage storage = backend.allocate(3 * sets * matrix, "gemm-bench " + n);
                Tensor[][] abc = new Tensor[sets][3];
                for (int s = 0; s < sets; s++) {
                    for (int m = 0; m < 3; m++) {
                        abc[s][m] = new Tensor(storage, (3L * s + m) * matrix, Shape.of(n, n), "abc".charAt(m) + "" + s);
                    }
                    backend.upload(abc[s][0], a[s], 0);
                    backend.upload(abc[s][1], b[s], 0);
                }
                double[] ms = TimedRuns.time(TimedRuns.events(timer), warmup, runs, sets,
                        s -> backend.gemm(abc[s][2], abc[s][0], false, abc[s][1], false, 1, 0));
                // the result of set 0, compared with the first configuration's (our FP32 kernel) as a sanity check
                backend.gemm(abc[0][2], abc[0][0], false, abc[0][1], false, 1, 0);
                float[] c = new float[(int) matrix];
                backend.download(c, 0, abc[0][2]);
                if (reference == null) {
                    reference = c;
                }
                double median = TimedRuns.median(ms);
                double gflops = 2.0 * n * n * n / (median * 1e-3) / 1e9;
                results.add(new Result(n, config, backend.counters().lastGemmKernel(), median,
                        Arrays.stream(ms).min().orElse(Double.NaN), gflops,
                        maxRelativeDifference(c, reference)));
                storage.close();
            }
        }
        return results;
    }

    private static float[] uniform(Random random, int count) {
        float[] x = new float[count];
        for (int i = 0; i < count; i++) {
            x[i] = 2 * random.nextFloat() - 1;
        }
        return x;
    }

    /** max |c - ref| / max |ref|: a sanity check that each engine computed the same product. */
    private static double maxRelativeDifference(float[] c, float[] ref) {
        double diff = 0;
        double scale = 0;
        for (int i = 0; i < c.length; i++) {
            diff = Math.max(diff, Math.abs((double) c[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        return Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / scale;
    }

    /** Ours over cuBLAS at the same size and precision, or NaN without cuBLAS. */
    private static double ratio(Result r, List<Result> all) {
        if (r.config().engine() == Engine.VENDOR) {
            return Double.NaN;
        }
        return all.stream().filter(v -> v.n() == r.n() && v.config().engine() == Engine.VENDOR
                        && v.config().tf32() == r.config().tf32())
                .mapToDouble(v -> r.gflops() / v.gflops()).findFirst().orElse(Double.NaN);
    }

    private static void printTable(String device, Availability cuda, VendorLibraries.Status cublas, int runs,
                                   List<Result> results) {
        System.out.printf(Locale.ROOT, "gemm-bench: %s, driver %s, cuBLAS %s, median of %d runs%n", device,
                Availability.versionString(cuda.driverVersion()), cublas.loaded() ? cublas.detail() : "-", runs);
        String format = "%6s  %-8s %-5s %-26s %10s %10s %10s %12s%n";
        System.out.printf(Locale.ROOT, format, "N", "engine", "prec", "kernel", "median ms", "GFLOP/s",
                "ours/cuBLAS", "diff vs ours");
        for (Result r : results) {
            double ratio = ratio(r, results);
            System.out.printf(Locale.ROOT, format, r.n(), r.config().engine().label(), r.config().precision(),
                    r.kernel(), String.format(Locale.ROOT, "%.3f", r.medianMs()),
                    String.format(Locale.ROOT, "%.0f", r.gflops()),
                    Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio),
                    String.format(Locale.ROOT, "%.1e", r.maxRelDiff()));
        }
    }

    private static String json(String device, Availability cuda, VendorLibraries.Status cublas, int runs, int warmup,
                               List<Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n  \"bench\": \"gemm\",\n");
        sb.append("  \"date\": \"").append(Instant.now()).append("\",\n");
        sb.append("  \"device\": \"").append(device.replace("\"", "'")).append("\",\n");
        sb.append("  \"driver\": ").append(cuda.driverVersion()).append(",\n");
        sb.append("  \"cublas\": \"").append(cublas.loaded() ? cublas.detail() : "").append("\",\n");
        sb.append("  \"runs\": ").append(runs).append(",\n  \"warmup\": ").append(warmup).append(",\n");
        sb.append("  \"timing\": \"median of per-run CUDA event times, inputs rotated over > 2x the L2\",\n");
        sb.append("  \"results\": [\n");
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            double ratio = ratio(r, results);
            sb.append(String.format(Locale.ROOT, "    {\"n\": %d, \"engine\": \"%s\", \"precision\": \"%s\", "
                            + "\"kernel\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"gflops\": %.1f, "
                            + "\"ratio_vs_cublas\": %s, \"max_rel_diff_vs_ours_fp32\": %.3e}%s%n", r.n(),
                    r.config().engine().label(), r.config().precision(), r.kernel(), r.medianMs(), r.minMs(),
                    r.gflops(), Double.isNaN(ratio) ? "null" : String.format(Locale.ROOT, "%.3f", ratio),
                    r.maxRelDiff(), i + 1 < results.size() ? "," : ""));
        }
        sb.append("  ]\n}\n");
        return sb.toString();
    }
}
