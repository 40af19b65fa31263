package io.kernelnet.backend;

/**
 * How a backend computes, which decides the bounds its results are held to against the CPU reference
 * ({@link CrossCheck}, {@code kernelnet selftest}): its GEMM precision, and whether its pooling sums follow the
 * CPU's order (the CPU backends and our kernels: exact) or an order of their own (cuDNN: derived bounds, see
 * PoolingCases).
 */
public record Numerics(GemmPrecision gemm, boolean poolSumsInCpuOrder) {
    /** The CPU backends and our FP32 kernels. */
    public static final Numerics FP32 = new Numerics(GemmPrecision.FP32, true);

    /** Which GEMM bound applies. */
    public enum GemmPrecision { FP32, TF32 }
}
