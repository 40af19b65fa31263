package io.kernelnet.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.CudaRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Device selection and the info report, on whichever machine runs the suite. */
class BackendsTest {
    private final Availability cuda = CudaRuntime.availability();

    @Test
    void cpuIsTheFastPathAndCpuReferenceTheReference() {
        Backends.Selection s = Backends.select("cpu", CudaOptions.DEFAULT);
        assertInstanceOf(FastCpuBackend.class, s.backend());
        assertEquals("cpu", s.description());
        Backends.Selection r = Backends.select("cpu-reference", CudaOptions.DEFAULT);
        assertInstanceOf(CpuBackend.class, r.backend());
        assertEquals("cpu-reference", r.description());
    }

    @Test
    void autoTakesTheGpuWhenUsableNeverTheEmulatedDeviceElseTheCpuWithTheReason() {
        Backends.Selection s = Backends.select("auto", CudaOptions.DEFAULT);
        try {
            if (cuda.usable() && cuda.emulated()) {
                assertInstanceOf(FastCpuBackend.class, s.backend());
                assertTrue(s.description().contains("emulated device runs only when asked for"), s.description());
            } else if (cuda.usable()) {
                assertInstanceOf(CudaBackend.class, s.backend());
                assertTrue(s.description().startsWith("cuda:0 ") && s.description().endsWith(", engine kernels"),
                        s.description());
            } else {
                assertInstanceOf(FastCpuBackend.class, s.backend());
                assertEquals("cpu (" + cuda.reason() + ")", s.description());
            }
        } finally {
            s.backend().close();
        }
    }

    @Test
    void cudaWithoutAUsableGpuThrowsTheReason() {
        if (!cuda.usable()) {
            for (String device : new String[] {"cuda", "CUDA:0"}) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> Backends.select(device, CudaOptions.DEFAULT));
                assertTrue(e.getMessage().contains(cuda.reason()), e.getMessage());
            }
        }
    }

    @Test
    void unknownDevicesAreRefusedWithTheChoices() {
        for (String device : new String[] {"gpu", "cuda:", "cuda:x", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Backends.select(device, CudaOptions.DEFAULT));
            assertTrue(e.getMessage().contains("auto, cpu, cpu-reference, cuda or cuda:N"), e.getMessage());
        }
    }

    @Test
    void infoReportHasOneLinePerFact() {
        String report = Backends.infoReport();
        for (String key : new String[] {"java:", "os:", "cuda driver:", "kernels:", "cuBLAS:", "cuDNN:",
            "cuda backend:"}) {
            assertTrue(report.lines().anyMatch(l -> l.startsWith(key)), key + " missing from\n" + report);
        }
        assertTrue(report.contains(cuda.usable() ? "cuda backend: usable" : cuda.reason()), report);
    }

    /** The kernel count is the kernel spec's, never written by hand: as many as kernels/*.cu declare. */
    @Test
    void infoReportCountsTheKernelsTheSourcesDeclare() throws IOException {
        long declared = 0;
        try (Stream<Path> files = Files.list(Path.of("kernels"))) {
            for (Path cu : files.filter(p -> p.toString().endsWith(".cu")).toList()) {
                declared += Pattern.compile("extern \"C\" __global__").matcher(Files.readString(cu)).results().count();
            }
        }
        String line = Backends.infoReport().lines().filter(l -> l.startsWith("kernels:")).findFirst().orElseThrow();
        assertTrue(declared > 0 && (line.contains(declared + " built") || line.contains("declare " + declared + ")")),
                declared + " declared; " + line);
    }
}
