package io.kernelnet.bench;

/**
 * One case timed on one engine ("kernels", "cublas" or "cudnn"): the median and minimum of the timed calls, how many
 * input sets they rotated over, and what ran ({@code detail}: the GEMM kernel, the convolution plan; may be empty).
 */
public record KernelResult(KernelCase kernelCase, String engine, String detail, double medianMs, double minMs,
                           int runs, int sets) {
    public static final String OURS = "kernels";

    public boolean ours() {
        return engine.equals(OURS);
    }

    /** Bytes of the formula table per second of the median call, in GB/s (1e9). */
    public double gbps() {
        return kernelCase.spec().bytes() / (medianMs * 1e6);
    }

    /** GFLOP/s at the median; NaN for ops counted in bytes only. */
    public double gflops() {
        long flops = kernelCase.spec().flops();
        return flops == 0 ? Double.NaN : flops / (medianMs * 1e6);
    }
}
