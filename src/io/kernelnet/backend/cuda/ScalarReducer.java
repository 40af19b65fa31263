package io.kernelnet.backend.cuda;

import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

/**
 * Turns per-block partial sums (losses, accuracy) or a whole tensor (sum, mean) into one float: kn_reduce_sum over
 * the input into at most 1024 block sums, again over those into one value, written into a tensor of the caller's
 * (the training step: nothing waited for) or into {@link #result()}, then a single 8-byte download of that value
 * and the bad-row flag, the one synchronization a returned scalar costs.
 * Its scratch buffer is allocated once, with the backend; the fused bias-activation backward borrows its partial
 * sums ({@link #partials}) for the bias gradient's splits, which kn_conv2d_sum_splits adds within the same op.
 */
final class ScalarReducer {
    /** Partial sums one loss call may produce: a row kernel writes one per 8 rows, so up to 8M rows. */
    static final int MAX_PARTIALS = 1 << 20;
    private static final int PASS1 = MAX_PARTIALS;
    private static final int RESULT = PASS1 + LaunchConfig.MAX_REDUCE_BLOCKS;
    private static final int BAD_ROW = RESULT + 1;
    static final int SCRATCH_FLOATS = RESULT + 64;

    private final CudaContext context;
    private final Kernels kernels;
    private final PinnedStaging staging;
    private final CudaStorage scratch;

    ScalarReducer(CudaContext context, Kernels kernels, PinnedStaging staging, DeviceMemory memory) {
        this.context = context;
        this.kernels = kernels;
        this.staging = staging;
        this.scratch = memory.allocate(SCRATCH_FLOATS, "scratch: partial sums of losses, reductions and bias-gradient splits");
    }

    /** Where a kernel writes {@code count} partial sums. */
    DevicePointer partials(String op, long count, String what) {
        if (count > MAX_PARTIALS) {
            throw new IllegalArgumentException(op + ": " + what + " needs " + count + " partial sums, more than the "
                    + MAX_PARTIALS + " the scratch buffer holds");
        }
        return scratch.at(0);
    }

    /** The int that kn_softmax_xent_sparse lowers (atomicMin) to the first row with a bad label. */
    DevicePointer badRow() {
        return scratch.at(BAD_ROW);
    }

    void resetBadRow(String op) {
        try {
            cuMemsetD32Async(badRow(), Integer.MAX_VALUE, 1, context.stream());
        } catch (jcuda.CudaException e) {
            throw CudaException.of(op, "cuMemsetD32Async(bad_row)", e);
        }
    }

    /** Where a returning op has its scalar reduced, followed by the bad-row flag ({@link #downloadResult}). */
    DevicePointer result() {
        return scratch.at(RESULT);
    }

    /**
     * out[0] = sum of x[0..n) / divisor (n > 0), all on the device: two launches of kn_reduce_sum, the second
     * dividing (a mean loss), nothing waited for.
     */
    void reduceInto(String op, DevicePointer out, DevicePointer x, long n, float divisor) {
        int blocks = LaunchConfig.reduceGrid(n);
        DevicePointer pass1 = scratch.at(PASS1);
        kernels.reduceSum(op, Grid.of(blocks), pass1, x, (int) n, 1f);
        kernels.reduceSum(op, Grid.of(1), out, pass1, blocks, divisor);
    }

    /** {result, bad row as int bits}: the one synchronization a returned scalar costs. */
    float[] downloadResult(String op) {
        return staging.downloadSmall(op, result(), 2);
    }

    /** Sum of x[0..n); 0 for an empty tensor. */
    float sum(String op, DevicePointer x, long n) {
        if (n == 0) {
            return 0f;
        }
        reduceInto(op, result(), x, n, 1f);
        return downloadResult(op)[0];
    }

    static int badRowOf(float[] sumAndFlag) {
        return Float.floatToRawIntBits(sumAndFlag[1]);
    }
}
