package io.kernelnet.backend.cuda;

import jcuda.driver.CUresult;

/**
 * A failed CUDA call, naming the backend op that made it, the call or kernel, and the CUDA error name
 * ({@code CUDA_ERROR_...} or {@code CUBLAS_STATUS_...}).
 */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String errorName;

    public CudaException(String message, String errorName) {
        super(message);
        this.errorName = errorName;
    }

    /** Wraps JCuda's exception, whose message is the {@link CUresult#stringFor} name of the error. */
    static CudaException of(String op, String call, jcuda.CudaException cause) {
        String name = cause.getMessage();
        CudaException e = new CudaException("cuda: " + op + ": " + call + " failed with " + name + hint(name), name);
        e.initCause(cause);
        return e;
    }

    /** Errors of a kernel surface at the next synchronizing call, which is then not the one to blame. */
    private static String hint(String name) {
        if (name != null && (name.contains("ILLEGAL_ADDRESS") || name.contains("LAUNCH_FAILED")
                || name.contains("MISALIGNED") || name.contains("ILLEGAL_INSTRUCTION"))) {
            return " (an earlier kernel may have failed; set -D" + KernelModule.SYNC_PROPERTY
                    + "=true to synchronize after each launch and name it)";
        }
        return "";
    }

    /** The CUDA error name, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() {
        return errorName;
    }

    static boolean is(jcuda.CudaException e, int cuResult) {
        return CUresult.stringFor(cuResult).equals(e.getMessage());
    }
}
