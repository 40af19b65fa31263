package io.kernelnet.backend.cuda;

import java.util.Locale;

/**
 * Who computes on the CUDA backend ({@code --engine}): GEMMs, convolutions and pooling. Every other op always runs
 * our kernels.
 */
public enum Engine {
    /**
     * The default: GEMMs and pooling by our kernels; each convolution shape by whichever of our kernels and cuDNN
     * ran faster when the model was built (timed with CUDA events, printed in summary()); our kernels alone where
     * cuDNN cannot load or cannot do the shape.
     */
    AUTO,
    /** Our kernels: kernels/gemm.cu (FP32, or TF32 tensor cores when asked), kernels/conv2d.cu, kernels/pool2d.cu. */
    KERNELS,
    /** cuBLAS for GEMMs and cuDNN for convolution and pooling, on the same context and stream. */
    VENDOR;

    /** "auto", "kernels" or "vendor", any case. */
    public static Engine parse(String name) {
        for (Engine e : values()) {
            if (e.label().equalsIgnoreCase(name.strip())) {
                return e;
            }
        }
        throw new IllegalArgumentException("engine must be auto, kernels or vendor, got '" + name + "'");
    }

    /** The command-line spelling. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
