package io.kernelnet.backend;

/**
 * A backend's build-time decision for one convolution shape ({@link Backend#planConv2d}): the scratch floats its
 * passes need from the shared workspace ({@link Backend#useWorkspace}) and, for summary(), what it chose
 * ("kernels: implicit gemm 64x64, bwd-filter split-K 60", "vendor: cuDNN ... (0.21 ms vs kernels 0.35 ms)"), or
 * "" when there was nothing to choose (the CPU).
 */
public record ConvPlan(long workspaceFloats, String description) {
    public ConvPlan {
        if (workspaceFloats < 0) {
            throw new IllegalArgumentException("conv plan: workspace must be non-negative, got " + workspaceFloats);
        }
    }
}
