package io.kernelnet.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.Padding;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.examples.MnistModels;
import io.kernelnet.io.Json;
import io.kernelnet.nn.Model;
import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;
import io.kernelnet.testing.FailingBackend;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code bench kernels} without a device: the cases derived from the models, the bytes and FLOPs formulas, the
 * input rotation for the L2, every case's call run on the CPU reference, and the report (targets, JSON, HTML)
 * from synthetic results.
 */
class KernelBenchTest {
    private static final long H100_L2 = 50L << 20;

    private static List<KernelCase> layers(String model, int batch) {
        try (Model m = MnistModels.named(model)) {
            return KernelCases.layers(model, m, batch);
        }
    }

    private static List<OpSpec> specs(List<KernelCase> cases, String family, String op) {
        return cases.stream().filter(c -> c.family().equals(family) && c.op().equals(op)).map(KernelCase::spec)
                .collect(Collectors.toList());
    }

    @Test
    void theCnnCasesAreItsLayersShapesAtTheBatch() {
        List<KernelCase> cases = layers("cnn", 128);
        Conv2dGeometry c1 = Conv2dGeometry.of(128, 1, 28, 28, 32, 3, 3, Padding.NONE);
        Conv2dGeometry c2 = Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE);
        Conv2dGeometry c3 = Conv2dGeometry.of(128, 64, 5, 5, 64, 3, 3, Padding.NONE);
        assertEquals(List.of(new OpSpec.Conv(c1, OpSpec.ConvPass.FORWARD), new OpSpec.Conv(c2, OpSpec.ConvPass.FORWARD),
                new OpSpec.Conv(c3, OpSpec.ConvPass.FORWARD)), specs(cases, KernelCases.CONV, "forward"));
        assertEquals(List.of(new OpSpec.Conv(c2, OpSpec.ConvPass.BACKWARD_DATA),
                new OpSpec.Conv(c3, OpSpec.ConvPass.BACKWARD_DATA)), specs(cases, KernelCases.CONV, "backward-data"),
                "no input gradient for the layer that reads the model's input");
        assertEquals(3, specs(cases, KernelCases.CONV, "backward-filter").size());
        assertEquals(List.of(new OpSpec.MaxPoolForward(new Pool2dGeometry(128, 32, 26, 26, 2, 2, 2, 2, Padding.NONE)),
                new OpSpec.MaxPoolForward(new Pool2dGeometry(128, 64, 11, 11, 2, 2, 2, 2, Padding.NONE))),
                specs(cases, KernelCases.POOL, "max forward"));
        // flatten gives 64 * 3 * 3 = 576 features to Dense 64, then Dense 10 with the fused softmax loss
        assertEquals(List.of(new OpSpec.Gemm(128, 64, 576, false, false), new OpSpec.Gemm(128, 10, 64, false, false)),
                specs(cases, KernelCases.GEMM, "forward"));
        assertEquals(List.of(new OpSpec.Gemm(576, 64, 128, true, false), new OpSpec.Gemm(64, 10, 128, true, false)),
                specs(cases, KernelCases.GEMM, "dW"));
        assertEquals(List.of(new OpSpec.Gemm(128, 576, 64, false, true), new OpSpec.Gemm(128, 64, 10, false,
                true)), specs(cases, KernelCases.GEMM, "dx"));
        assertEquals(List.of(new OpSpec.BiasAdd(Shape.of(128, 32, 26, 26)), new OpSpec.BiasAdd(Shape.of(128, 64, 11, 11)),
                new OpSpec.BiasAdd(Shape.of(128, 64, 3, 3)), new OpSpec.BiasAdd(Shape.of(128, 64)),
                new OpSpec.BiasAdd(Shape.of(128, 10))), specs(cases, KernelCases.BIAS, "bias add"));
        assertEquals(4, specs(cases, KernelCases.ACTIVATION, "relu backward").size(), "three convs and Dense 64");
        assertEquals(List.of(new OpSpec.SoftmaxCrossEntropy(128, 10)), specs(cases, KernelCases.SOFTMAX,
                "softmax cross-entropy"));
        assertEquals(List.of(new OpSpec.AccuracyCount(128, 10)), specs(cases, KernelCases.REDUCTION, "accuracy count"));
        assertTrue(cases.stream().allMatch(c -> c.source().equals("cnn") && c.batch() == 128));
    }

    @Test
    void theMlpCasesAndThePerModelOps() {
        List<KernelCase> cases = layers("mlp", 512);
        assertEquals(List.of(new OpSpec.Gemm(512, 128, 784, false, false), new OpSpec.Gemm(512, 10, 128, false, false)),
                specs(cases, KernelCases.GEMM, "forward"));
        assertEquals(List.of(new OpSpec.Gemm(512, 128, 10, false, true)), specs(cases, KernelCases.GEMM, "dx"));
        assertEquals(List.of(new OpSpec.DropoutForward(Shape.of(512, 128), 0.2f)), specs(cases, KernelCases.DROPOUT,
                "forward"));
        try (Model mlp = MnistModels.mlp()) {
            assertEquals(List.of(new OpSpec.Adam(101770), new OpSpec.Sgd(101770), new OpSpec.Sum(101770)),
                    KernelCases.parameters("mlp", mlp).stream().map(KernelCase::spec).collect(Collectors.toList()));
        }
        List<KernelCase> all = KernelCases.all(List.of("mlp"), List.of(128, 512), KernelCases.LARGE_BYTES);
        assertEquals(2 * cases.size() + 3 + KernelCases.gemms().size() + KernelCases.large(KernelCases.LARGE_BYTES)
                .size(), all.size());
        assertEquals(List.of(new OpSpec.Gemm(1024, 1024, 1024, false, false), new OpSpec.Gemm(2048, 2048, 2048, false,
                false), new OpSpec.Gemm(4096, 4096, 4096, false, false)), specs(all, KernelCases.GEMM, "gemm"));
        assertTrue(KernelCases.large(KernelCases.LARGE_BYTES).stream().allMatch(c -> c.spec().operands().stream()
                .allMatch(s -> s.size() == 64L << 20 || s.equals(StepScalars.shape()))),
                "every large operand but the step scalars is 256 MiB");
    }

    @Test
    void bytesAndFlopsFollowTheFormulaTable() {
        OpSpec.Gemm gemm = new OpSpec.Gemm(2, 3, 4, true, false);
        assertEquals(List.of(Shape.of(4, 2), Shape.of(4, 3), Shape.of(2, 3)), gemm.operands());
        assertEquals(4 * (2 * 4 + 4 * 3 + 2 * 3), gemm.bytes());
        assertEquals(2 * 2 * 3 * 4, gemm.flops());
        Conv2dGeometry g = Conv2dGeometry.of(128, 32, 13, 13, 64, 3, 3, Padding.NONE);
        for (OpSpec.ConvPass pass : OpSpec.ConvPass.values()) {
            OpSpec.Conv conv = new OpSpec.Conv(g, pass);
            assertEquals(2L * 128 * 64 * 11 * 11 * 32 * 9, conv.flops(), pass.name());
            assertEquals(4L * (128 * 32 * 13 * 13 + 64 * 32 * 9 + 128 * 64 * 11 * 11), conv.bytes(), pass.name());
        }
        Pool2dGeometry p = new Pool2dGeometry(2, 3, 4, 4, 2, 2, 2, 2, Padding.NONE);
        assertEquals(4 * (96 + 2 * 24), new OpSpec.MaxPoolForward(p).bytes());
        assertEquals(4 * (96 + 2 * 24), new OpSpec.MaxPoolBackward(p).bytes());
        assertEquals(0, new OpSpec.MaxPoolForward(p).flops(), "judged by bytes alone");
        assertEquals(4 * (2 * 60 + 3), new OpSpec.BiasAdd(Shape.of(4, 3, 5)).bytes());
        assertEquals(4 * (60 + 3), new OpSpec.BiasGrad(Shape.of(4, 3, 5)).bytes());
        assertEquals(8 * 10, new OpSpec.ActivationForward(Shape.of(10), io.kernelnet.backend.Activation.RELU).bytes());
        assertEquals(12 * 10, new OpSpec.ActivationBackward(Shape.of(10), io.kernelnet.backend.Activation.RELU).bytes());
        assertEquals(12 * 10, new OpSpec.Add(Shape.of(10)).bytes());
        assertEquals(12 * 10, new OpSpec.DropoutForward(Shape.of(10), 0.5f).bytes());
        assertEquals(12 * 10, new OpSpec.DropoutBackward(Shape.of(10)).bytes());
        assertEquals(4 * (3 * 20 + 2), new OpSpec.SoftmaxCrossEntropy(2, 10).bytes());
        assertEquals(8 * 20, new OpSpec.Softmax(2, 10).bytes());
        assertEquals(28 * 10, new OpSpec.Adam(10).bytes());
        assertEquals(20 * 10, new OpSpec.Sgd(10).bytes());
        assertEquals(4 * 10, new OpSpec.Sum(10).bytes());
        assertEquals(4 * (20 + 2), new OpSpec.AccuracyCount(2, 10).bytes());
        assertEquals(8 * 10, new OpSpec.Copy(10).bytes(), "read and write");
    }

    @Test
    void inputsRotateOverTwiceTheL2() {
        // a 4096 GEMM's three matrices (192 MiB) are far beyond the L2: two sets alternate
        assertEquals(2, TimedRuns.rotationSets(3L * 4096 * 4096 * 4, H100_L2, 35));
        // 40 MiB a set: the three others move 120 MiB >= 100 MiB before a set comes round again
        assertEquals(4, TimedRuns.rotationSets(40L << 20, H100_L2, 35));
        assertEquals(101, TimedRuns.rotationSets(1L << 20, H100_L2, 1000));
        // small sets: one fresh set per call, never touched since the L2 was evicted
        assertEquals(35, TimedRuns.rotationSets(1L << 20, H100_L2, 35));
        assertEquals(35, TimedRuns.rotationSets(512, H100_L2, 35));
        assertEquals(2, TimedRuns.rotationSets(512, H100_L2, 1), "never fewer than two");
        assertEquals(2, TimedRuns.rotationSets(512, 0, 35));
        assertThrows(IllegalArgumentException.class, () -> TimedRuns.rotationSets(0, H100_L2, 35));
        assertThrows(IllegalArgumentException.class, () -> TimedRuns.rotationSets(512, H100_L2, 0));
    }

    @Test
    void medianOfOddAndEvenCounts() {
        assertEquals(3.0, TimedRuns.median(new double[] {5, 1, 3}));
        assertEquals(2.5, TimedRuns.median(new double[] {4, 1, 3, 2}));
        assertTrue(Double.isNaN(TimedRuns.median(new double[0])));
    }

    @Test
    void operandsStartAt64FloatBoundaries() {
        assertArrayEquals(new long[] {0, 64, 192, 256}, KernelBench.layout(List.of(Shape.of(1), Shape.of(65),
                Shape.of(64))));
    }

    /** A clock that logs its marks into {@code log} and says each timed call took 1, 2, 3, ... ms. */
    private static TimedRuns.Clock countingClock(List<String> log) {
        return new TimedRuns.Clock() {
            private int stops;

            public void start() {
                log.add("start");
            }

            public double stopMillis() {
                log.add("stop");
                return ++stops;
            }
        };
    }

    /**
     * Each case measured by the bench's own Runner on the CPU reference: operands laid out, filled, prepared (labels,
     * argmax, Adam's v) and passed to the call in the order the Backend takes them. Small batches keep it quick; the
     * square and skinny GEMMs run at a small size with the same transposes.
     */
    @Test
    void everyCaseRunsOnTheCpuReferenceThroughTheBenchRunner() {
        List<KernelCase> cases = new ArrayList<>();
        for (String model : MnistModels.NAMES) {
            cases.addAll(layers(model, 3));
            try (Model m = MnistModels.named(model)) {
                cases.addAll(KernelCases.parameters(model, m));
            }
        }
        cases.addAll(KernelCases.large(4096));
        for (KernelCase c : KernelCases.gemms()) {
            OpSpec.Gemm g = (OpSpec.Gemm) c.spec();
            cases.add(new KernelCase(c.family(), c.op(), c.source(), 0, c.layer(), new OpSpec.Gemm(Math.min(g.m(), 40),
                    Math.min(g.n(), 30), Math.min(g.k(), 20), g.transA(), g.transB())));
        }
        cases.add(new KernelCase("ceiling", "copy", "ceiling", 0, "", new OpSpec.Copy(100)));
        List<String> log = new ArrayList<>();
        try (Backend cpu = new CpuBackend();
             KernelBench.Runner runner = new KernelBench.Runner(cpu, countingClock(log), 1024, 1, 1, () -> "cpu")) {
            for (KernelCase c : cases) {
                KernelResult r = runner.measure(c, KernelResult.OURS);
                assertEquals(2, r.sets(), c.label());
                assertEquals(1, r.runs(), c.label());
                assertEquals(c.spec() instanceof OpSpec.Gemm ? "cpu" : "", r.detail(), c.label());
            }
        }
        assertEquals(2 * cases.size(), log.size(), "one timed call per case");
    }

    /** Records the GEMMs' output offsets and the fills, in order, between the clock's marks. */
    private static final class RecordingBackend extends ForwardingBackend {
        final List<String> log;

        RecordingBackend(List<String> log) {
            super(new CpuBackend());
            this.log = log;
        }

        @Override
        public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
            log.add("gemm " + c.offset());
            super.gemm(c, a, transA, b, transB, alpha, beta);
        }

        @Override
        public void fill(Tensor dst, float value) {
            log.add("fill " + dst.size());
            super.fill(dst, value);
        }
    }

    @Test
    void theRunnerEvictsTheL2ThenWarmsUpThenTimesEachCallOnTheNextSet() {
        // operands of 16 floats at 64-float boundaries: 192 floats (768 bytes) a set, C at offset 128 of each
        KernelCase gemm = new KernelCase(KernelCases.GEMM, "gemm", "test", 0, "", new OpSpec.Gemm(4, 4, 4, false, false));
        List<String> log = new ArrayList<>();
        KernelResult r;
        try (Backend b = new RecordingBackend(log);
             KernelBench.Runner runner = new KernelBench.Runner(b, countingClock(log), 4096, 2, 5, () -> "k")) {
            r = runner.measure(gemm, KernelResult.OURS);
        }
        // 1 + ceil(2 * 4096 / 768) = 12 sets would evict the L2; 7 calls need only 7, each on a set none touched
        assertEquals(7, r.sets());
        assertEquals(List.of("fill 2048", "gemm 128", "gemm 320", "start", "gemm 512", "stop", "start", "gemm 704",
                "stop", "start", "gemm 896", "stop", "start", "gemm 1088", "stop", "start", "gemm 1280", "stop"), log);
        assertEquals(3.0, r.medianMs());
        assertEquals(1.0, r.minMs());
        assertEquals(5, r.runs());
        assertEquals("k", r.detail());

        // an L2 of 512 bytes: 1 + ceil(1024 / 768) = 3 sets, used in turn
        log.clear();
        try (Backend b = new RecordingBackend(log);
             KernelBench.Runner runner = new KernelBench.Runner(b, countingClock(log), 512, 2, 5, () -> "k")) {
            r = runner.measure(gemm, KernelResult.OURS);
        }
        assertEquals(3, r.sets());
        assertEquals(List.of("gemm 128", "gemm 320", "gemm 512", "gemm 128", "gemm 320", "gemm 512", "gemm 128"),
                log.stream().filter(e -> e.startsWith("gemm")).collect(Collectors.toList()));
    }

    @Test
    void aFailingCaseIsNamedAndTheOthersStillRun() {
        KernelCase gemm = new KernelCase(KernelCases.GEMM, "gemm", "test", 0, "", new OpSpec.Gemm(4, 4, 4, false, false));
        KernelCase bias = new KernelCase(KernelCases.BIAS, "bias add", "test", 0, "", new OpSpec.BiasAdd(Shape.of(4, 3)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        List<String> failures = new ArrayList<>();
        try (Backend b = FailingBackend.atOpCall(new CpuBackend(), 1);
             KernelBench.Runner runner = new KernelBench.Runner(b, countingClock(new ArrayList<>()), 1024, 1, 5,
                     () -> "k")) {
            assertTrue(KernelBench.measure(runner, gemm, KernelResult.OURS, out, failures).isEmpty());
            assertTrue(KernelBench.measure(runner, bias, KernelResult.OURS, out, failures).isPresent());
        }
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).startsWith("test gemm on kernels: "), failures.get(0));
        assertTrue(bytes.toString(StandardCharsets.UTF_8).startsWith("bench kernels: FAILED test gemm on kernels: "));
    }

    private static KernelResult result(KernelCase c, String engine, double ms) {
        return new KernelResult(c, engine, "", ms, ms, 30, 2);
    }

    private static KernelCase find(List<KernelCase> cases, String family, String op) {
        return cases.stream().filter(c -> c.family().equals(family) && c.op().equals(op)).findFirst().orElseThrow();
    }

    private static KernelReport syntheticReport() {
        List<KernelCase> gemms = KernelCases.gemms();
        KernelCase g1024 = gemms.get(0);
        KernelCase g4096 = gemms.get(2);
        List<KernelCase> large = KernelCases.large(256L << 20);
        KernelCase relu = find(large, KernelCases.ACTIVATION, "relu forward");
        KernelCase adam = find(large, KernelCases.OPTIMIZER, "adam");
        KernelCase conv = find(layers("cnn", 128), KernelCases.CONV, "forward");
        KernelCase bias = find(layers("cnn", 128), KernelCases.BIAS, "bias add");
        // copy ceiling 2000 GB/s; relu moves 512 MiB: 0.3 ms is 1790 GB/s (89%), adam moves 1792 MiB: 1.2 ms is 78%
        List<KernelResult> results = List.of(result(g4096, "kernels", 10.0), result(g4096, "cublas", 9.5),
                result(g1024, "kernels", 0.2), result(g1024, "cublas", 0.1), result(relu, "kernels", 0.3),
                result(adam, "kernels", 1.2), result(conv, "kernels", 0.05), result(conv, "cudnn", 0.02),
                result(bias, "kernels", 0.01));
        return new KernelReport("test device", H100_L2, 5, 30, new KernelReport.Ceilings(2000, 256L << 20, 50000, 4096),
                results);
    }

    @Test
    void targetsAreJudgedMetOrMissed() {
        List<KernelReport.Target> targets = syntheticReport().targets();
        List<String> lines = targets.stream().map(t -> t.name() + " " + String.format("%.3f", t.ratio()) + " "
                + t.verdict()).collect(Collectors.toList());
        assertEquals(List.of("FP32 GEMM 4096 vs cuBLAS FP32 0.950 met", "FP32 GEMM 1024 vs cuBLAS FP32 0.500 missed",
                "large 256 MiB relu forward vs copy bandwidth 0.895 met",
                "large 256 MiB adam vs copy bandwidth 0.783 missed",
                "cnn b128 conv2d forward vs cuDNN 0.400 missed"), lines);
        assertEquals(0.90, targets.get(0).goal());
        assertEquals(0.75, targets.get(1).goal());
        assertEquals(0.85, targets.get(2).goal());
        assertEquals(0.60, targets.get(4).goal());
        assertEquals("-", new KernelReport.Target("no cuDNN", Double.NaN, 0.6).verdict());
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonHasEveryResultWithItsCeilingsAndVendorRatio() {
        KernelReport report = syntheticReport();
        Map<String, Object> root = (Map<String, Object>) Json.parse(Json.write(report.json("2026-01-01T00:00:00Z",
                "abc")));
        assertEquals("kernels", root.get("bench"));
        assertEquals(2000.0, ((Number) ((Map<String, Object>) root.get("ceilings")).get("copy_gbps")).doubleValue());
        List<Map<String, Object>> rows = (List<Map<String, Object>>) root.get("results");
        assertEquals(9, rows.size());
        Map<String, Object> gemm = rows.get(0);
        assertEquals("gemm", gemm.get("family"));
        assertEquals("kernels", gemm.get("engine"));
        assertEquals(2.0 * 4096 * 4096 * 4096 / 10e6, ((Number) gemm.get("gflops")).doubleValue(), 1e-6);
        assertEquals(0.95, ((Number) gemm.get("speed_vs_vendor")).doubleValue(), 1e-12);
        assertEquals(100 * 2.0 * 4096 * 4096 * 4096 / 10e6 / 50000, ((Number) gemm.get("percent_of_sgemm"))
                .doubleValue(), 1e-9);
        Map<String, Object> relu = rows.get(4);
        assertEquals(512L << 20, ((Number) relu.get("bytes")).longValue());
        assertNull(relu.get("gflops"), "no FLOPs counted for an elementwise op");
        assertNull(relu.get("speed_vs_vendor"), "no vendor version");
        assertEquals(100 * (512L << 20) / 0.3e6 / 2000, ((Number) relu.get("percent_of_copy")).doubleValue(), 1e-9);
        List<Map<String, Object>> targets = (List<Map<String, Object>>) root.get("targets");
        assertEquals(List.of("met", "missed", "met", "missed", "missed"), targets.stream().map(t -> t.get("verdict"))
                .collect(Collectors.toList()));
    }

    @Test
    void htmlHasOneChartPerFamilyAndNeedsNoNetwork() {
        String page = syntheticReport().html("test device, commit abc");
        assertTrue(page.startsWith("<!DOCTYPE html>"));
        // families present: gemm, conv, bias, activation, optimizer
        assertEquals(5, page.split("<svg", -1).length - 1, "one chart per family with results");
        assertTrue(page.contains("gemm: GFLOP/s"), "GEMM in GFLOP/s");
        assertTrue(page.contains("bias: GB/s"), "the rest in GB/s");
        assertTrue(page.contains("cuDNN") && page.contains("cuBLAS"), "the vendors side by side");
        assertTrue(page.contains("missed"), "the targets");
        assertFalse(page.replace("http://www.w3.org/2000/svg", "").matches("(?s).*(https?:|src=|<link).*"),
                "the report refers to something outside itself");
    }

    @Test
    void theTextReportMarksTheTargets() {
        String text = syntheticReport().format();
        assertTrue(text.contains("ceilings: device copy of 256 MiB 2000 GB/s (read + write), cuBLAS SGEMM FP32 N=4096"
                + " 50000 GFLOP/s"), text);
        assertTrue(text.contains("FP32 GEMM 1024 vs cuBLAS FP32"), text);
        assertTrue(text.lines().filter(l -> l.endsWith("missed")).count() == 3, text);
    }
}
