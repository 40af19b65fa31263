package io.kernelnet.backend.cuda;

import java.util.List;

/**
 * What a {@link CudaBackend} has done so far, read by tests and benchmarks as evidence that work ran where it
 * should (on the GPU, on our kernels or cuDNN, as graph replays) and of what it holds: a live view, each call
 * reads the current count.
 */
public final class CudaCounters {
    private final KernelModule module;
    private final GemmEngine gemm;
    private final ConvRouter conv;
    private final StepGraphs stepGraphs;
    private final DeviceMemory memory;
    private final PinnedStaging staging;
    private final QueuedUploads queuedUploads;

    CudaCounters(KernelModule module, GemmEngine gemm, ConvRouter conv, StepGraphs stepGraphs, DeviceMemory memory,
                 PinnedStaging staging, QueuedUploads queuedUploads) {
        this.module = module;
        this.gemm = gemm;
        this.conv = conv;
        this.stepGraphs = stepGraphs;
        this.memory = memory;
        this.staging = staging;
        this.queuedUploads = queuedUploads;
    }

    /** Kernels launched so far. */
    public long kernelLaunches() {
        return module.launches();
    }

    /** GEMMs run by the GEMM engine (ours or cuBLAS). */
    public long gemmCalls() {
        return gemm.calls();
    }

    /** The kernel (or cuBLAS call) that ran the last GEMM, e.g. "kn_sgemm_128x128". */
    public String lastGemmKernel() {
        return gemm.lastKernel();
    }

    /** Convolution calls run by our kernels ({@link Engine#KERNELS}) or by cuDNN ({@link Engine#VENDOR}). */
    public long convCalls(Engine which) {
        return conv.convCalls(which);
    }

    /** Pooling calls run by our kernels or by cuDNN. */
    public long poolCalls(Engine which) {
        return conv.poolCalls(which);
    }

    /** Training-step graphs captured so far (0 with graphs off). */
    public long graphCaptures() {
        return stepGraphs == null ? 0 : stepGraphs.captures();
    }

    /** Training steps replayed from a graph so far (0 with graphs off). */
    public long graphReplays() {
        return stepGraphs == null ? 0 : stepGraphs.replays();
    }

    /** Why training steps of some shape run without a graph (their capture failed); empty when none. */
    public List<String> graphRefusals() {
        return stepGraphs == null ? List.of() : stepGraphs.refusals();
    }

    /** Device bytes held now by the backend's allocations (storages and its scratch buffers). */
    public long allocatedBytes() {
        return memory.allocatedBytes();
    }

    /** The most device bytes held at once. */
    public long peakAllocatedBytes() {
        return memory.peakBytes();
    }

    /** Page-locked host bytes of the staging buffers (waiting and queued uploads). */
    public long pinnedBytes() {
        return staging.pinnedBytes() + queuedUploads.pinnedBytes();
    }

    /** Uploads whose host-to-device copy ran on the second stream, overlapping the computation. */
    public long overlappedUploads() {
        return queuedUploads.overlapped();
    }
}
