package io.kernelnet.backend.cuda;

/**
 * Row-major C = alpha * op(A) * op(B) + beta * C for {@code batch} matrices stored one after another (element
 * strides M*K, K*N, M*N), on the backend's stream. Arguments are already validated; empty products are skipped
 * here, K = 0 still scales C by beta.
 */
interface GemmEngine extends AutoCloseable {
    void gemm(String op, DevicePointer c, DevicePointer a, boolean transA, DevicePointer b, boolean transB,
              int batch, int m, int n, int k, float alpha, float beta);

    /**
     * C [m, n] = act(A [m, k] B [k, n] + bias[n]) with bias and activation (code as the kernels'; -1: none; bias
     * NULL: none) in the GEMM's epilogue, if this engine has such kernels (our FP32 ones); false when it has not,
     * and did nothing. m, n, k > 0.
     */
    boolean gemmBiasActivation(String op, DevicePointer c, DevicePointer a, DevicePointer b, DevicePointer bias,
                               int m, int n, int k, int act, float actAlpha);

    /** Bytes of workspace this engine wants from the plan (cuBLAS's recommended size); 0: none. */
    default long workspaceBytes() {
        return 0;
    }

    /** The planned workspace ({@link #workspaceBytes} or more), or null (0 bytes): give it back. */
    default void useWorkspace(DevicePointer workspace, long bytes) {
    }

    /** "kernels fp32" or "vendor (cuBLAS 13.1.0) tf32", for logs and the bench. */
    String description();

    /** What computed the last GEMM: a kernel name, or the cuBLAS call (the bench reports it). */
    String lastKernel();

    /** GEMM calls made so far (proof, in the GPU tests, that this engine really ran). */
    long calls();

    @Override
    void close();
}
