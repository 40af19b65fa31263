package io.kernelnet.backend.cuda;

import java.util.function.Supplier;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.cuda.global.cudnn;
import org.bytedeco.javacpp.Loader;

/**
 * Whether NVIDIA's libraries load through the bytedeco presets (libcudart.so.13, libcublas.so.13 and
 * libcublasLt.so.13 for cuBLAS; libcudnn*.so.9 for cuDNN), probed once each, with the version or the reason.
 */
public final class VendorLibraries {
    /** A library that loaded (detail = its version) or did not (detail = why). */
    public record Status(String library, boolean loaded, String detail) {
        @Override
        public String toString() {
            return library + ": " + (loaded ? detail : "not loaded (" + detail + ")");
        }
    }

    private static Status cudartStatus;
    private static Status cublasStatus;
    private static Status cudnnStatus;

    private VendorLibraries() {
    }

    /**
     * The CUDA runtime preset, which cuBLAS and cuDNN both load first. Probed on its own because once its class
     * failed to initialize, later attempts only say "Could not initialize class", not which library was missing.
     */
    public static synchronized Status cudaRuntime() {
        if (cudartStatus == null && CudaRuntime.availability().emulated()) {
            cudartStatus = new Status("CUDA runtime", false, "the " + CudaRuntime.EMULATED_DEVICE_NAME
                    + " runs no vendor library");
        }
        if (cudartStatus == null) {
            cudartStatus = load("CUDA runtime", () -> {
                Loader.load(cudart.class);
                int[] version = new int[1];
                cudart.cudaRuntimeGetVersion(version);
                return Availability.versionString(version[0]);
            });
        }
        return cudartStatus;
    }

    public static synchronized Status cublas() {
        if (cublasStatus == null) {
            cublasStatus = loadOnRuntime("cuBLAS", () -> {
                Loader.load(cublas.class);
                int[] major = new int[1];
                int[] minor = new int[1];
                int[] patch = new int[1];
                cublas.cublasGetProperty(cudart.MAJOR_VERSION, major);
                cublas.cublasGetProperty(cudart.MINOR_VERSION, minor);
                cublas.cublasGetProperty(cudart.PATCH_LEVEL, patch);
                return major[0] + "." + minor[0] + "." + patch[0];
            });
        }
        return cublasStatus;
    }

    public static synchronized Status cudnn() {
        if (cudnnStatus == null) {
            cudnnStatus = loadOnRuntime("cuDNN", () -> {
                Loader.load(cudnn.class);
                long v = cudnn.cudnnGetVersion();
                // cuDNN 9 encodes major*10000 + minor*100 + patch
                return v / 10000 + "." + v % 10000 / 100 + "." + v % 100;
            });
        }
        return cudnnStatus;
    }

    /** A library that loads after the CUDA runtime: not loaded, with the runtime's reason, without the runtime. */
    private static Status loadOnRuntime(String library, Supplier<String> loadAndVersion) {
        Status runtime = cudaRuntime();
        return runtime.loaded() ? load(library, loadAndVersion) : new Status(library, false, runtime.detail());
    }

    /** Loads a library by {@code loadAndVersion}, which returns its version; a library that does not load says why. */
    private static Status load(String library, Supplier<String> loadAndVersion) {
        try {
            return new Status(library, true, loadAndVersion.get());
        } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
            return new Status(library, false, LoadFailure.reason(e));
        }
    }
}
