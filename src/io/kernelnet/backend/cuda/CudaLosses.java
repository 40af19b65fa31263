package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelLauncher.count;

import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Tensor;

/**
 * The CUDA backend's losses (kernels/loss.cu, the cross-entropies of kernels/softmax.cu): each writes the
 * gradient and reduces the per-block partial losses into one device float, {@code out}: the caller's one-element
 * tensor, or the reducer's result that the returning variants download.
 */
final class CudaLosses {
    private final KernelLauncher launch;

    CudaLosses(KernelLauncher launch) {
        this.launch = launch;
    }

    /** {@code out}: null for the reducer's result. */
    void mse(DevicePointer out, Tensor dPred, Tensor pred, Tensor target) {
        String op = "mseLoss";
        DevicePointer result = out == null ? launch.reducer.result() : out;
        int n = count(op, pred);
        if (n == 0) {
            launch.fillScalar(op, result, Float.NaN);
            return;
        }
        int blocks = LaunchConfig.mseGrid(n, launch.multiprocessors());
        DevicePointer partials = launch.reducer.partials(op, blocks, "the squared errors");
        launch.kernels.mse(op, Grid.of(blocks), launch.ptr(op, "dPred", dPred), partials, launch.ptr(op, "pred", pred),
                launch.ptr(op, "target", target), n);
        launch.reducer.reduceInto(op, result, partials, blocks, n);
    }

    /** The returning variant: the mean, after the kernel's bad-row flag says every label was a class index. */
    float sparseCrossEntropyChecked(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels, int rows,
                                    int classes) {
        String op = "softmaxCrossEntropySparse";
        launch.reducer.resetBadRow(op);
        crossEntropy(op, true, null, probs, dLogits, logits, labels, rows, classes);
        float[] meanAndFlag = launch.reducer.downloadResult(op);
        int badRow = ScalarReducer.badRowOf(meanAndFlag);
        if (badRow != Integer.MAX_VALUE) {
            float label = launch.staging.downloadSmall(op,
                    launch.ptr(op, "labels", labels).plusBytes((long) badRow * Float.BYTES), 1)[0];
            throw badLabel(op, badRow, label, classes);
        }
        return meanAndFlag[0];
    }

    /**
     * The IllegalArgumentException that {@link ShapeChecks#labels} gives for this label at this row, produced by
     * ShapeChecks itself (over valid labels up to the bad one) so that both backends word it identically.
     */
    static IllegalArgumentException badLabel(String op, int row, float label, int classes) {
        float[] upToBad = new float[row + 1];
        upToBad[row] = label;
        try {
            ShapeChecks.labels(op, upToBad, classes);
        } catch (IllegalArgumentException e) {
            return e;
        }
        throw new IllegalStateException(op + ": the kernel flagged label " + label + " at row " + row
                + " but it is a valid class index in [0, " + classes + ")");
    }

    /**
     * Either cross-entropy kernel (sparse: class-index labels, a bad one only lowers the reducer's bad-row flag),
     * its mean loss reduced into {@code out} (null: the reducer's result).
     */
    void crossEntropy(String op, boolean sparse, DevicePointer out, Tensor probs, Tensor dLogits, Tensor logits,
                      Tensor targets, int rows, int classes) {
        DevicePointer result = out == null ? launch.reducer.result() : out;
        count(op, logits);
        if (rows == 0) {
            launch.fillScalar(op, result, Float.NaN);
            return;
        }
        int blocks = LaunchConfig.rowGrid(rows);
        DevicePointer partials = launch.reducer.partials(op, blocks, rows + " rows");
        DevicePointer p = launch.ptr(op, "probs", probs);
        DevicePointer d = launch.ptr(op, "dLogits", dLogits);
        DevicePointer z = launch.ptr(op, "logits", logits);
        if (sparse) {
            launch.kernels.softmaxXentSparse(op, Grid.of(blocks), p, d, partials, launch.reducer.badRow(), z,
                    launch.ptr(op, "labels", targets), rows, classes);
        } else {
            launch.kernels.softmaxXentDense(op, Grid.of(blocks), p, d, partials, z, launch.ptr(op, "targets", targets), rows,
                    classes);
        }
        launch.reducer.reduceInto(op, result, partials, blocks, rows);
    }
}
