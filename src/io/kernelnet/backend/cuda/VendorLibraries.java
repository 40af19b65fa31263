package io.kernelnet.backend.cuda;

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
            try {
                Loader.load(cudart.class);
                int[] version = new int[1];
                cudart.cudaRuntimeGetVersion(version);
                cudartStatus = new Status("CUDA runtime", true, Availability.versionString(version[0]));
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                cudartStatus = new Status("CUDA runtime", false, LoadFailure.reason(e));
            }
        }
        return cudartStatus;
    }

    public static synchronized Status cublas() {
        if (cublasStatus == null && !cudaRuntime().loaded()) {
            cublasStatus = new Status("cuBLAS", false, cudaRuntime().detail());
        }
        if (cublasStatus == null) {
            try {
                Loader.load(cublas.class);
                int[] major = new int[1];
                int[] minor = new int[1];
                int[] patch = new int[1];
                cublas.cublasGetProperty(cudart.MAJOR_VERSION, major);
                cublas.cublasGetProperty(cudart.MINOR_VERSION, minor);
                cublas.cublasGetProperty(cudart.PATCH_LEVEL, patch);
                cublasStatus = new Status("cuBLAS", true, major[0] + "." + minor[0] + "." + patch[0]);
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                cublasStatus = new Status("cuBLAS", false, LoadFailure.reason(e));
            }
        }
        return cublasStatus;
    }

    public static synchronized Status cudnn() {
        if (cudnnStatus == null && !cudaRuntime().loaded()) {
            cudnnStatus = new Status("cuDNN", false, cudaRuntime().detail());
        }
        if (cudnnStatus == null) {
            try {
                Loader.load(cudnn.class);
                long v = cudnn.cudnnGetVersion();
                // cuDNN 9 encodes major*10000 + minor*100 + patch
                cudnnStatus = new Status("cuDNN", true, v / 10000 + "." + v % 10000 / 100 + "." + v % 100);
            } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
                cudnnStatus = new Status("cuDNN", false, LoadFailure.reason(e));
            }
        }
        return cudnnStatus;
    }
}
