package io.kernelnet.backend.cuda;

/** What discovery learns about one GPU; {@code l2Bytes} sizes the benchmarks' input rotation (50 MiB on an H100). */
public record CudaDeviceInfo(int ordinal, String name, int computeMajor, int computeMinor, long totalBytes,
                             int multiprocessors, long l2Bytes) {

    /** "sm_90". */
    public String arch() {
        return "sm_" + computeMajor + computeMinor;
    }

    /** Whole GiB, rounded down: 79 for an "80GB" H100. */
    public long totalGiB() {
        return totalBytes >> 30;
    }

    /** The KernelNet emulated device (native/cuda-emulator): the CPU running our kernels, not a GPU. */
    public boolean emulated() {
        return name.equals(CudaRuntime.EMULATED_DEVICE_NAME);
    }

    /** "cuda:0 NVIDIA H100 80GB HBM3 (sm_90, 79 GiB)". */
    public String summary() {
        return "cuda:" + ordinal + " " + name + " (" + arch() + ", " + totalGiB() + " GiB)";
    }
}
