package io.kernelnet.backend.cuda;

import java.util.Locale;

/** Who computes GEMMs on the CUDA backend ({@code --engine}); every other op always runs our kernels. */
public enum Engine {
    /** Our kernels from kernels/gemm.cu (FP32, or TF32 tensor cores when asked). */
    KERNELS,
    /** cuBLAS through the bytedeco presets, on the same context and stream. */
    VENDOR;

    /** "kernels" or "vendor", any case. */
    public static Engine parse(String name) {
        for (Engine e : values()) {
            if (e.label().equalsIgnoreCase(name.strip())) {
                return e;
            }
        }
        throw new IllegalArgumentException("engine must be kernels or vendor, got '" + name + "'");
    }

    /** The command-line spelling. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
