package io.kernelnet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.io.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench train} on the CPU end to end, and the PyTorch file and ratio table it compares against. */
class TrainBenchTest {
    @TempDir
    Path dir;

    private static Map<String, Object> entry(String model, int batch, String mode, Double rate, String note) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("model", model);
        e.put("batch", batch);
        e.put("mode", mode);
        e.put("examples_per_second", rate);
        if (note != null) {
            e.put("note", note);
        }
        return e;
    }

    private static String pytorchFile(List<Map<String, Object>> results) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("bench", "train-pytorch");
        root.put("framework", "pytorch 2.9");
        root.put("device_name", "test device");
        root.put("results", results);
        return Json.write(root);
    }

    @Test
    @SuppressWarnings("unchecked")
    void cpuRunWritesTheTableTheJsonAndASelfContainedHtmlReport() throws Exception {
        Path peer = dir.resolve("pytorch.json");
        Files.writeString(peer, pytorchFile(List.of(entry("mlp", 16, "eager", 1000.0, null),
                entry("mlp", 16, "compile", null, "inductor needs a C compiler"))));
        Path json = dir.resolve("train.json");
        Path html = dir.resolve("report.html");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = TrainBench.run(new TrainBench.Options("cpu", CudaOptions.DEFAULT, List.of("mlp"), List.of(16), 1,
                0, 3, 2, json, peer, html, null, null), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, printed);
        assertTrue(printed.contains("mlp  batch   16:"), printed);
        assertTrue(printed.contains("torch.compile mlp batch 16: inductor needs a C compiler"), printed);

        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(json));
        assertEquals("train", root.get("bench"));
        Map<String, Object> row = ((List<Map<String, Object>>) root.get("results")).get(0);
        List<Object> runs = (List<Object>) row.get("runs_examples_per_second");
        assertEquals(3, runs.size());
        double[] rates = runs.stream().mapToDouble(r -> ((Number) r).doubleValue()).toArray();
        assertTrue(Arrays.stream(rates).allMatch(r -> r > 0), runs.toString());
        double median = ((Number) row.get("examples_per_second")).doubleValue();
        assertEquals(TimedRuns.median(rates), median, 1e-9 * median);
        assertEquals(101770L, ((Number) row.get("parameters")).longValue());

        Map<String, Object> compared = ((List<Map<String, Object>>) root.get("comparison")).get(0);
        assertEquals(median / 1000.0, ((Number) compared.get("ratio_vs_eager")).doubleValue(), 1e-9 * median);
        assertNull(compared.get("ratio_vs_compile"), "no compile figure, no ratio");
        assertEquals("-", compared.get("target_vs_compile_met"));

        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>"), page.substring(0, Math.min(80, page.length())));
        assertTrue(page.contains("<svg"), "a chart");
        assertTrue(page.contains("ours/eager"), "the ratio table");
        // opens without network: nothing fetched, the only URL the SVG namespace
        assertFalse(page.replace("http://www.w3.org/2000/svg", "").matches("(?s).*(https?:|src=|<link).*"),
                "the report refers to something outside itself");
        assertFalse(Files.exists(dir.resolve("train.json.tmp")), "temporary file left behind");
    }

    @Test
    void ratiosAreJudgedAgainstTheTargetsMetOrMissed() {
        PyTorchTimes peer = PyTorchTimes.parse(pytorchFile(List.of(entry("cnn", 128, "eager", 1000.0, null),
                entry("cnn", 128, "compile", 2000.0, null), entry("mlp", 128, "eager", 1000.0, null))));
        List<TrainBench.Result> ours = List.of(new TrainBench.Result("cnn", 128, 1, 1, new double[] {1600}),
                new TrainBench.Result("mlp", 128, 1, 1, new double[] {1900}),
                new TrainBench.Result("mlp", 512, 1, 1, new double[] {5000}));
        List<List<String>> rows = RatioTable.of(ours, peer, false).rows();
        assertEquals(List.of("cnn", "128", "1600", "1000", "1.60x", ">=1.5x met", "2000", "0.80x", ">=1.0x missed"),
                rows.get(0));
        assertEquals(List.of("mlp", "128", "1900", "1000", "1.90x", ">=2.0x missed", "-", "-", ">=1.0x -"),
                rows.get(1));
        assertEquals(List.of("mlp", "512", "5000", "-", "-", ">=2.0x -", "-", "-", ">=1.0x -"), rows.get(2),
                "no PyTorch figure for batch 512: reported as unknown, not as met");
        // on the CPU the target is PyTorch's own speed, for both models
        List<List<String>> cpuRows = RatioTable.of(ours, peer, true).rows();
        assertEquals(">=1.0x met", cpuRows.get(0).get(5));
        assertEquals(">=1.0x met", cpuRows.get(1).get(5));
    }

    @Test
    void aBadPyTorchFileIsRefusedNamingTheField() {
        List<Object[]> cases = new ArrayList<>();
        cases.add(new Object[] {"{\"bench\": \"train\", \"results\": []}", "not a train_bench.py file"});
        cases.add(new Object[] {pytorchFile(List.of(entry("mlp", 128, "jit", 1.0, null))),
                "results[0].mode must be eager or compile, got 'jit'"});
        cases.add(new Object[] {pytorchFile(List.of(entry("mlp", 128, "eager", 1.0, null),
                entry("mlp", 0, "eager", 1.0, null))), "results[1].batch must be a whole number >= 1, got 0"});
        cases.add(new Object[] {pytorchFile(List.of(entry("mlp", 128, "eager", -5.0, null))),
                "results[0].examples_per_second must be a number > 0 or null"});
        cases.add(new Object[] {pytorchFile(List.of(entry("", 128, "eager", 1.0, null))),
                "results[0].model must be a non-empty string"});
        for (Object[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> PyTorchTimes.parse((String) c[0]));
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
        }
    }
}
