package io.kernelnet.bench;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.CudaRuntime;
import io.kernelnet.data.Dataset;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.io.Json;
import io.kernelnet.nn.Model;
import io.kernelnet.tensor.Shape;
import io.kernelnet.train.Adam;
import io.kernelnet.train.FitOptions;
import io.kernelnet.train.History;
import io.kernelnet.train.Loss;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

/**
 * {@code kernelnet bench train}: examples per second of whole training steps (forward, loss, backward, Adam update)
 * of the MNIST mlp and cnn, steady state, on one backend.
 *
 * <p>Method: for each model and batch the model is built once; {@code warmup} windows are run and discarded, and
 * more until {@code warmupSeconds} have passed (a JIT-compiled backend, the CPU one on the Vector API above all,
 * reaches its steady state only after seconds of compilation, whatever the step count), then {@code runs} windows
 * are timed. A window is one {@link Model#fit} epoch over an in-memory dataset of exactly
 * {@code stepsPerRun * batch} synthetic examples (shuffle off, progress off), so it is {@code stepsPerRun} training
 * steps of the one training loop the library has. Its time is fit's own {@code epoch_seconds}: System.nanoTime
 * around the step loop, with the backend synchronised before the clock stops; the data check that fit does first
 * lies outside it. Whole steps are what is timed, so wall-clock time around a synchronised window is the honest
 * measure; per-kernel CUDA-event times are GemmBench's and ConvBench's. The step is the one {@code kernelnet train}
 * runs: it uploads each batch from host memory and checks the gradients are finite before the update.
 */
public final class TrainBench {
    /** Images uniform in (0, 1] (never zero), labels uniform in [0, 10): the recipe train_bench.py repeats. */
    static final long DATA_SEED = 1234;

    /** What {@code bench train} was asked to do. Null paths are outputs or inputs not asked for. */
    public record Options(String device, CudaOptions cuda, List<String> models, List<Integer> batches, int warmup,
                          int warmupSeconds, int runs, int stepsPerRun, Path out, Path pytorch, Path html, Path gemm, Path conv) {
        public Options {
            models = List.copyOf(models);
            batches = List.copyOf(batches);
        }
    }

    /** One model at one batch: per-window examples per second, in the order measured. */
    public record Result(String model, int batch, long parameters, int stepsPerRun, double[] examplesPerSecond) {
        public double median() {
            return TimedRuns.median(examplesPerSecond);
        }

        public double min() {
            return Arrays.stream(examplesPerSecond).min().orElse(Double.NaN);
        }

        public double max() {
            return Arrays.stream(examplesPerSecond).max().orElse(Double.NaN);
        }

        /** Milliseconds per step at the median rate. */
        public double msPerStep() {
            return 1000.0 * batch / median();
        }
    }

    private TrainBench() {
    }

    /**
     * Runs the bench, prints the table (and the PyTorch comparison when asked), writes the JSON and HTML asked for.
     * Returns the exit status: 0.
     */
    public static int run(Options o, PrintStream out) throws IOException {
        // the peers' files are read before an hour of benchmarking, so that a bad one fails first
        PyTorchTimes pytorch = o.pytorch() == null ? null : PyTorchTimes.read(o.pytorch());
        if (o.device().strip().toLowerCase(Locale.ROOT).startsWith("cuda")) {
            CudaRuntime.availability().refuseTimingOnEmulatedDevice("bench train");
        }
        Backends.Selection selection = Backends.select(o.device(), o.cuda());
        List<Result> results = new ArrayList<>();
        try (Backend backend = selection.backend()) {
            out.printf(Locale.ROOT, "bench train: %s; %d warm-up windows (at least %d s) and %d timed windows of %d"
                    + " steps each%n", selection.description(), o.warmup(), o.warmupSeconds(), o.runs(), o.stepsPerRun());
            for (String model : o.models()) {
                for (int batch : o.batches()) {
                    Result r = measure(backend, model, batch, o.warmup(), o.warmupSeconds(), o.runs(), o.stepsPerRun());
                    out.printf(Locale.ROOT, "  %-4s batch %4d: %10.1f examples/s (min %.1f, max %.1f), %.3f ms/step%n",
                            model, batch, r.median(), r.min(), r.max(), r.msPerStep());
                    results.add(r);
                }
            }
        }
        RatioTable table = pytorch == null ? null
                : RatioTable.of(results, pytorch, o.device().startsWith("cpu"));
        if (table != null) {
            out.print(table.format(selection.description()));
        }
        if (o.out() != null) {
            writeAtomically(o.out(), Json.write(json(selection.description(), o, results, table)) + "\n");
            out.println("json: " + o.out());
        }
        if (o.html() != null) {
            HtmlReport report = new HtmlReport("KernelNet benchmarks", selection.description() + ", commit " + commit()
                    + ", " + Instant.now());
            report.trainChart(results, pytorch);
            if (o.gemm() != null) {
                report.gemmChart(o.gemm());
            }
            if (o.conv() != null) {
                report.convCharts(o.conv());
            }
            if (table != null) {
                report.table("Training step, ratios against the targets", table.headers(), table.rows());
            }
            writeAtomically(o.html(), report.html());
            out.println("html: " + o.html());
        }
        return 0;
    }

    /** Builds {@code modelName} on {@code backend} at {@code batch} and times its training windows. */
    static Result measure(Backend backend, String modelName, int batch, int warmup, int warmupSeconds, int runs,
                          int stepsPerRun) {
        Dataset data = syntheticData(stepsPerRun * batch);
        try (Model model = MnistModels.named(modelName)) {
            // PyTorch's epsilon placement: the step timed is the twin of train_bench.py's torch.optim.Adam
            model.seed(42).compile(new Adam(0.001f).epsilonPlacement(AdamEpsilon.PYTORCH),
                    Loss.SPARSE_CATEGORICAL_CROSSENTROPY, "accuracy");
            model.build(batch, backend);
            FitOptions window = FitOptions.defaults().epochs(1).batchSize(batch).shuffle(false).verbose(0);
            long warmEnd = System.nanoTime() + warmupSeconds * 1_000_000_000L;
            for (int i = 0; i < warmup || System.nanoTime() - warmEnd < 0; i++) {
                model.fit(data, window);
            }
            double[] rates = new double[runs];
            for (int i = 0; i < runs; i++) {
                History h = model.fit(data, window);
                rates[i] = data.count() / h.last("epoch_seconds");
            }
            long parameters = model.parameterShapes().values().stream().mapToLong(Shape::size).sum();
            return new Result(modelName, batch, parameters, stepsPerRun, rates);
        }
    }

    /** {@code count} MNIST-shaped examples: pixels uniform in (0, 1], labels uniform in [0, 10), seed fixed. */
    static Dataset syntheticData(int count) {
        Random random = new Random(DATA_SEED);
        float[] images = new float[count * 28 * 28];
        for (int i = 0; i < images.length; i++) {
            images[i] = 1f - random.nextFloat();
        }
        float[] labels = new float[count];
        for (int i = 0; i < count; i++) {
            labels[i] = random.nextInt(10);
        }
        return new Dataset(images, Shape.of(1, 28, 28), labels, 10);
    }

    static Map<String, Object> json(String device, Options o, List<Result> results, RatioTable table) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bench", "train");
        m.put("date", Instant.now().toString());
        m.put("device", device);
        m.put("engine", o.device().startsWith("cpu") ? null : o.cuda().engine().name().toLowerCase(Locale.ROOT));
        m.put("tf32", o.cuda().tf32());
        m.put("graphs", o.device().startsWith("cpu") ? null : o.cuda().graphs());
        m.put("commit", commit());
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("warmup", o.warmup());
        m.put("warmup_seconds", o.warmupSeconds());
        m.put("runs", o.runs());
        m.put("steps_per_run", o.stepsPerRun());
        m.put("optimizer", "adam lr 0.001");
        m.put("data", "synthetic: pixels uniform in (0, 1], labels uniform in [0, 10), java.util.Random seed "
                + DATA_SEED + ", uploaded from host memory each step");
        m.put("timing", "wall clock (System.nanoTime) around each window of steps_per_run whole training steps"
                + " (batch upload, forward, loss, backward, finite check, Adam update, accuracy count), the backend"
                + " synchronised before the clock stops; warm-up windows (warmup, and more until warmup_seconds)"
                + " discarded; median, min and max over runs");
        List<Object> rows = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("model", r.model());
            row.put("batch", r.batch());
            row.put("parameters", r.parameters());
            row.put("examples_per_second", r.median());
            row.put("min_examples_per_second", r.min());
            row.put("max_examples_per_second", r.max());
            row.put("ms_per_step", r.msPerStep());
            row.put("runs_examples_per_second", r.examplesPerSecond());
            rows.add(row);
        }
        m.put("results", rows);
        if (table != null) {
            m.put("pytorch", table.peerDescription());
            m.put("comparison", table.json());
        }
        return m;
    }

    /** The commit the jar was built from ({@code kernelnet-build.properties}, written at build time), or "unknown". */
    static String commit() {
        try (InputStream in = TrainBench.class.getResourceAsStream("/kernelnet-build.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            String c = p.getProperty("commit", "").strip();
            return c.isEmpty() ? "unknown" : c;
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Writes {@code text} to a temporary file beside {@code file}, then renames it over {@code file}. */
    static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
