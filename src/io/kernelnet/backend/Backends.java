package io.kernelnet.backend;

import io.kernelnet.backend.cpu.CpuBackend;
import io.kernelnet.backend.cpu.FastCpuBackend;
import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaBackend;
import io.kernelnet.backend.cuda.CudaDeviceInfo;
import io.kernelnet.backend.cuda.CudaRuntime;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.VendorLibraries;
import java.util.Locale;

/** The one place a backend is chosen ({@code --device auto|cpu|cuda[:N]}), and the report behind {@code info}. */
public final class Backends {

    /** The backend chosen and one line saying what it is, or why it is the CPU. */
    public record Selection(Backend backend, String description) {
    }

    private Backends() {
    }

    /**
     * {@code auto}: CUDA when usable (never the emulated device), else the CPU with the reason; {@code cpu}: the fast CPU path
     * ({@link FastCpuBackend}, tested against the reference); {@code cpu-reference}: the plain reference
     * {@link CpuBackend}; {@code cuda} or {@code cuda:N}: that GPU or an IllegalStateException with the reason.
     * {@code options} apply to CUDA only.
     */
    public static Selection select(String device, CudaOptions options) {
        checkDeviceName(device);
        String d = device.strip().toLowerCase(Locale.ROOT);
        if (d.equals("cpu")) {
            return new Selection(cpu(), "cpu");
        }
        if (d.equals("cpu-reference")) {
            return new Selection(new CpuBackend(), "cpu-reference");
        }
        if (d.equals("auto")) {
            Availability a = CudaRuntime.availability();
            if (!a.usable()) {
                return new Selection(cpu(), "cpu (" + a.reason() + ")");
            }
            if (a.emulated()) {
                return new Selection(cpu(), "cpu (the " + CudaRuntime.EMULATED_DEVICE_NAME
                        + " runs only when asked for: --device cuda)");
            }
            return cuda(0, options);
        }
        int ordinal = d.equals("cuda") ? 0 : Integer.parseInt(d.substring(5));
        return cuda(ordinal, options);
    }

    /** The CPU backend for training ({@code --device cpu}): what a model runs on when it is given none. */
    public static Backend cpu() {
        return new FastCpuBackend();
    }

    /** Refuses a device name that {@link #select} does not know (any case, surrounding spaces ignored). */
    public static void checkDeviceName(String device) {
        if (!device.strip().toLowerCase(Locale.ROOT).matches("auto|cpu|cpu-reference|cuda|cuda:\\d{1,4}")) {
            throw new IllegalArgumentException("device must be auto, cpu, cpu-reference, cuda or cuda:N, got '"
                    + device + "'");
        }
    }

    private static Selection cuda(int ordinal, CudaOptions options) {
        CudaBackend backend = new CudaBackend(ordinal, options);
        return new Selection(backend, backend.description());
    }

    /** Multi-line report for {@code kernelnet info}: Java, driver, devices, kernels, cuBLAS and cuDNN. */
    public static String infoReport() {
        Availability a = CudaRuntime.availability();
        StringBuilder sb = new StringBuilder();
        line(sb, "java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
                + System.getProperty("java.home") + ")");
        line(sb, "os", System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", "
                + Runtime.getRuntime().availableProcessors() + " cores");
        line(sb, "cuda driver", a.driverVersion() == 0 ? "not loaded"
                : Availability.versionString(a.driverVersion()) + " (" + a.driverVersion() + ")");
        if (a.devices().isEmpty()) {
            line(sb, "devices", "none");
        }
        for (CudaDeviceInfo info : a.devices()) {
            line(sb, "device", info.summary() + ", " + info.multiprocessors() + " SMs");
        }
        int declared = CudaRuntime.declaredKernels();
        line(sb, "kernels", a.kernelsBuilt() ? declared + " built (" + CudaRuntime.KERNELS_RESOURCE + ")"
                : "not built (" + CudaRuntime.KERNELS_RESOURCE + " missing; kernels/*.cu declare " + declared + ")");
        line(sb, "cuda runtime", status(VendorLibraries.cudaRuntime()));
        line(sb, "cuBLAS", status(VendorLibraries.cublas()));
        line(sb, "cuDNN", status(VendorLibraries.cudnn()));
        line(sb, "cuda backend", a.usable() ? "usable" : "not usable: " + a.reason());
        return sb.toString();
    }

    private static String status(VendorLibraries.Status s) {
        return s.loaded() ? s.detail() : "not loaded (" + s.detail() + ")";
    }

    private static void line(StringBuilder sb, String key, String value) {
        sb.append(String.format("%-13s %s%n", key + ":", value));
    }
}
