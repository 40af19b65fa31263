package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelLauncher.count;
import static io.kernelnet.backend.cuda.KernelLauncher.rowGrid;

import io.kernelnet.tensor.Tensor;

/**
 * The CUDA backend's reductions and metrics (kernels/reduce.cu, kn_flag_nonfinite of kernels/optim.cu): sums in
 * the {@link ScalarReducer}'s fixed tree, the row argmax, the accuracy count and the non-finite flag.
 */
final class CudaReductions {
    private final KernelLauncher launch;

    CudaReductions(KernelLauncher launch) {
        this.launch = launch;
    }

    float sum(String op, Tensor x) {
        return launch.reducer.sum(op, launch.ptr(op, "x", x), count(op, x));
    }

    void sum(DevicePointer out, Tensor x) {
        String op = "sum";
        int n = count(op, x);
        if (n == 0) {
            launch.fillScalar(op, out, 0f);
        } else {
            launch.reducer.reduceInto(op, out, launch.ptr(op, "x", x), n, 1f);
        }
    }

    void argmax(Tensor indices, Tensor x, int rows, int k) {
        String op = "argmax";
        count(op, x);
        if (rows > 0) {
            launch.kernels.argmaxRows(op, rowGrid(rows), launch.ptr(op, "indices", indices), launch.ptr(op, "x", x), rows, k);
        }
    }

    /**
     * The rows whose first maximum is the label into {@code out} (null: the reducer's result). As the CPU
     * reference, except that class-index labels are not range-checked here (that would cost a download of the
     * labels per call): a label outside [0, k) simply never matches.
     */
    void correctRows(DevicePointer out, Tensor scores, Tensor labels, boolean oneHot) {
        String op = "accuracyCount";
        DevicePointer result = out == null ? launch.reducer.result() : out;
        int n = scores.dim(0);
        count(op, scores);
        if (n == 0) {
            launch.fillScalar(op, result, 0f);
            return;
        }
        int blocks = LaunchConfig.rowGrid(n);
        DevicePointer partials = launch.reducer.partials(op, blocks, n + " rows");
        launch.kernels.accuracy(op, Grid.of(blocks), partials, launch.ptr(op, "scores", scores),
                launch.ptr(op, "labels", labels), n, scores.dim(1), oneHot ? 1 : 0);
        launch.reducer.reduceInto(op, result, partials, blocks, 1f);
    }

    /** The partial counts are small integers, exact in float up to 2^24 rows. */
    int downloadCount() {
        return Math.round(launch.reducer.downloadResult("accuracyCount")[0]);
    }

    float downloadResult(String op) {
        return launch.reducer.downloadResult(op)[0];
    }

    void flagNonFinite(Tensor halt, Tensor x) {
        String op = "flagNonFinite";
        DevicePointer flag = launch.ptr(op, "halt", halt);
        int n = count(op, x);
        if (n > 0) {
            launch.kernels.flagNonfinite(op, launch.elementwiseGrid(n), flag, launch.ptr(op, "x", x), n);
        }
    }
}
