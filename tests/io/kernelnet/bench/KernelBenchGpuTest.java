package io.kernelnet.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cuda.VendorLibraries;
import io.kernelnet.io.Json;
import io.kernelnet.testing.GpuAssumptions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench kernels} on the device, small: both models at batch 16, 1 MiB large tensors, 5 runs. Every case gets
 * a finite time from our kernels (the GEMMs from our kn_ kernels), cuBLAS's GEMMs and cuDNN's convolutions
 * and pooling beside them when those libraries load, both ceilings, and the JSON and HTML. Times are not judged.
 * Skips (assumption, with the reason) without a GPU.
 */
@Tag("gpu")
class KernelBenchGpuTest {

    @TempDir
    Path dir;

    @BeforeEach
    void needsAUsableGpu() {
        GpuAssumptions.gpu();
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyCaseIsTimedOnOurKernelsAndTheVendorsBesideThem() throws Exception {
        Path json = dir.resolve("kernels.json");
        Path html = dir.resolve("kernels.html");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = KernelBench.run(new KernelBench.Options(0, List.of("mlp", "cnn"), List.of(16), 1L << 20, 1, 5,
                json, html), new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String printed = bytes.toString(StandardCharsets.UTF_8);
        assertEquals(0, status, printed);
        assertTrue(printed.contains("targets:"), printed);

        Map<String, Object> root = (Map<String, Object>) Json.parse(Files.readString(json));
        Map<String, Object> ceilings = (Map<String, Object>) root.get("ceilings");
        assertTrue(((Number) ceilings.get("copy_gbps")).doubleValue() > 0, ceilings.toString());
        List<Map<String, Object>> rows = (List<Map<String, Object>>) root.get("results");
        List<KernelCase> cases = KernelCases.all(List.of("mlp", "cnn"), List.of(16), 1L << 20);
        long ours = rows.stream().filter(r -> r.get("engine").equals("kernels")).count();
        assertEquals(cases.size(), ours, "one row of ours per case");
        for (Map<String, Object> r : rows) {
            double ms = ((Number) r.get("median_ms")).doubleValue();
            assertTrue(ms > 0 && Double.isFinite(ms), r.toString());
            if (r.get("family").equals("gemm")) {
                assertEquals(r.get("engine").equals("kernels"), String.valueOf(r.get("detail")).startsWith("kn_"),
                        "our GEMMs run our kernels, cuBLAS's do not: " + r);
            }
        }
        long gemms = cases.stream().filter(c -> c.family().equals(KernelCases.GEMM)).count();
        if (VendorLibraries.cublas().loaded()) {
            assertEquals(gemms, rows.stream().filter(r -> r.get("engine").equals("cublas")).count(), printed);
            assertTrue(((Number) ceilings.get("sgemm_gflops")).doubleValue() > 0, ceilings.toString());
            if (!printed.contains("cuDNN not available")) {
                assertTrue(rows.stream().anyMatch(r -> r.get("engine").equals("cudnn") && r.get("family").equals("conv")),
                        "cuDNN's convolutions beside ours: " + printed);
            }
        }
        String page = Files.readString(html);
        assertTrue(page.contains("<svg"), "charts");
        assertFalse(page.replace("http://www.w3.org/2000/svg", "").matches("(?s).*(https?:|src=|<link).*"),
                "the report refers to something outside itself");
    }
}
