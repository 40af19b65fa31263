package io.kernelnet.backend.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_PEDANTIC_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cublas.CUBLAS_TF32_TENSOR_OP_MATH;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.javacpp.FloatPointer;

/**
 * GEMM by cuBLAS on the backend's context and stream. cuBLAS is column-major: a row-major matrix is its
 * transpose, so row-major C = op(A) op(B) is computed as column-major C^T = op(B)^T op(A)^T, B first.
 * FP32 runs in CUBLAS_PEDANTIC_MATH (no TF32, no reduced-precision shortcuts); TF32 only when asked.
 */
final class CublasGemm implements GemmEngine {
    private final CudaContext context;
    private final boolean tf32;
    private final String version;
    private final cublasContext handle;
    private final FloatPointer alphaHost;
    private final FloatPointer betaHost;
    private final long recommendedWorkspaceBytes;
    private boolean created;
    private long calls;
    private String lastCall = "none";

    /** The column-major call that computes a row-major product (see the class comment). */
    record Arguments(int opFirst, int opSecond, int m, int n, int k, int ldFirst, int ldSecond, int ldc) {
    }

    /** First operand B (n x k after op), second A (k x m after op), C^T is n x m with leading dimension n. */
    static Arguments arguments(boolean transA, boolean transB, int m, int n, int k) {
        return new Arguments(transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k,
                Math.max(1, transB ? k : n), Math.max(1, transA ? m : k), Math.max(1, n));
    }

    /** Throws IllegalStateException with the reason when cuBLAS cannot be loaded. */
    CublasGemm(CudaContext context, boolean tf32) {
        VendorLibraries.Status status = VendorLibraries.cublas();
        if (!status.loaded()) {
            throw new IllegalStateException("engine vendor needs cuBLAS, which is not available: " + status.detail()
                    + " (use --engine kernels)");
        }
        this.context = context;
        this.tf32 = tf32;
        this.version = status.detail();
        // cuBLAS's recommended workspace: 32 MiB on Hopper and newer, 4 MiB before (cublasSetWorkspace)
        this.recommendedWorkspaceBytes = (context.info().computeMajor() >= 9 ? 32L : 4L) << 20;
        // created only now: touching a cuBLAS class before the probe would throw the raw link error
        this.handle = new cublasContext();
        this.alphaHost = new FloatPointer(1);
        this.betaHost = new FloatPointer(1);
        context.bind();
        try {
            check("open cuBLAS", "cublasCreate_v2", cublas.cublasCreate_v2(handle));
            created = true;
            useStream("open cuBLAS");
            check("open cuBLAS", "cublasSetMathMode",
                    cublas.cublasSetMathMode(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_PEDANTIC_MATH));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void gemm(String op, DevicePointer c, DevicePointer a, boolean transA, DevicePointer b, boolean transB,
                     int batch, int m, int n, int k, float alpha, float beta) {
        if (batch == 0 || m == 0 || n == 0) {
            return;
        }
        Arguments g = arguments(transA, transB, m, n, k);
        // host pointer mode: cuBLAS reads alpha and beta before the call returns
        alphaHost.put(0, alpha);
        betaHost.put(0, beta);
        RawPointers.Floats first = new RawPointers.Floats(b.address());
        RawPointers.Floats second = new RawPointers.Floats(a.address());
        RawPointers.Floats out = new RawPointers.Floats(c.address());
        lastCall = batch == 1 ? "cublasSgemm_v2" : "cublasSgemmStridedBatched";
        if (batch == 1) {
            check(op, "cublasSgemm_v2", cublas.cublasSgemm_v2(handle, g.opFirst(), g.opSecond(), g.m(), g.n(),
                    g.k(), alphaHost, first, g.ldFirst(), second, g.ldSecond(), betaHost, out, g.ldc()));
        } else {
            check(op, "cublasSgemmStridedBatched", cublas.cublasSgemmStridedBatched(handle, g.opFirst(),
                    g.opSecond(), g.m(), g.n(), g.k(), alphaHost, first, g.ldFirst(), (long) k * n, second,
                    g.ldSecond(), (long) m * k, betaHost, out, g.ldc(), (long) m * n, batch));
        }
        calls++;
    }

    /** Our stream; cuBLAS also goes back to its own default workspace pool with it. */
    private void useStream(String op) {
        check(op, "cublasSetStream_v2",
                cublas.cublasSetStream_v2(handle, new RawPointers.Stream(context.stream().address())));
    }

    @Override
    public long workspaceBytes() {
        return recommendedWorkspaceBytes;
    }

    /**
     * cuBLAS works in the plan's workspace from now on, so that it allocates nothing of its own, not even while a
     * CUDA graph is captured; null gives it back (cublasSetStream returns cuBLAS to its default pool).
     */
    @Override
    public void useWorkspace(DevicePointer workspace, long bytes) {
        if (workspace == null) {
            useStream("useWorkspace");
        } else {
            check("useWorkspace", "cublasSetWorkspace_v2",
                    cublas.cublasSetWorkspace_v2(handle, new RawPointers.Bytes(workspace.address()), bytes));
        }
    }

    private static void check(String op, String call, int status) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            String name = cublas.cublasGetStatusName(status).getString();
            throw new CudaException("cuda: " + op + ": " + call + " failed with " + name, name);
        }
    }

    /** cuBLAS GEMM has no epilogue here: the backend runs the GEMM, then kn_bias_activation_forward. */
    @Override
    public boolean gemmBiasActivation(String op, DevicePointer c, DevicePointer a, DevicePointer b, DevicePointer bias,
                                      int m, int n, int k, int act, float actAlpha) {
        return false;
    }

    @Override
    public String description() {
        return "vendor (cuBLAS " + version + ") " + (tf32 ? "tf32" : "fp32");
    }

    @Override
    public String lastKernel() {
        return lastCall;
    }

    @Override
    public long calls() {
        return calls;
    }

    @Override
    public void close() {
        if (created) {
            created = false;
            context.bind();
            check("close cuBLAS", "cublasDestroy_v2", cublas.cublasDestroy_v2(handle));
        }
        alphaHost.close();
        betaHost.close();
    }
}
