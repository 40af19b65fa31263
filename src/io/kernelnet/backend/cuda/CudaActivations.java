package io.kernelnet.backend.cuda;

import static io.kernelnet.backend.cuda.KernelLauncher.code;
import static io.kernelnet.backend.cuda.KernelLauncher.count;
import static io.kernelnet.backend.cuda.KernelLauncher.rowGrid;

import io.kernelnet.backend.Activation;
import io.kernelnet.tensor.Tensor;

/**
 * The CUDA backend's activations (kernels/elementwise.cu), the bias and the fused bias-activation epilogue
 * (kernels/bias.cu) and the softmax family over any axis (kernels/softmax.cu), on arguments {@link CudaBackend} has
 * checked.
 */
final class CudaActivations {
    private final KernelLauncher launch;
    private final Kernels kernels;

    CudaActivations(KernelLauncher launch) {
        this.launch = launch;
        this.kernels = launch.kernels;
    }

    void forward(Tensor y, Tensor x, Activation act, float alpha) {
        String op = "activationForward";
        int n = count(op, x);
        if (n > 0) {
            kernels.activationForward(op, launch.elementwiseGrid(n), launch.ptr(op, "y", y), launch.ptr(op, "x", x), n,
                    code(act), alpha);
        }
    }

    /** The tensor this activation does not read (x for sigmoid and tanh, y for the ReLUs) gets NULL. */
    void backward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        String op = "activationBackward";
        boolean fromInput = act == Activation.RELU || act == Activation.LEAKY_RELU;
        int n = count(op, dy);
        DevicePointer xPtr = fromInput ? launch.ptr(op, "x", x) : null;
        DevicePointer yPtr = fromInput ? null : launch.ptr(op, "y", y);
        if (n > 0) {
            kernels.activationBackward(op, launch.elementwiseGrid(n), launch.ptr(op, "dx", dx),
                    launch.ptr(op, "dy", dy), xPtr, yPtr, n, code(act), alpha);
        }
    }

    void biasAdd(Tensor y, Tensor bias, int samples, int channels, int inner) {
        String op = "biasAdd";
        int n = count(op, y);
        if (n > 0) {
            kernels.biasAdd(op, launch.elementwiseGrid(n), launch.ptr(op, "y", y), launch.ptr(op, "bias", bias),
                    samples, channels, inner);
        }
    }

    /** One block per channel (kernels/CONTRACT.md): each reduces its samples * inner values in a fixed order. */
    void biasGrad(Tensor dBias, Tensor dy, int samples, int channels, int inner) {
        String op = "biasGrad";
        count(op, dy);
        if (channels > 0) {
            kernels.biasGrad(op, Grid.of(channels), launch.ptr(op, "dBias", dBias), launch.ptr(op, "dy", dy), samples,
                    channels, inner);
        }
    }

    void biasForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha, int samples, int channels,
                     int inner) {
        String op = "biasActivationForward";
        DevicePointer biasPtr = launch.ptrOrNull(op, "bias", bias);
        int n = count(op, y);
        if (n > 0) {
            kernels.biasActivationForward(op, launch.elementwiseGrid(n), launch.ptr(op, "y", y), launch.ptr(op, "z", z),
                    biasPtr, samples, channels, inner, code(act), alpha);
        }
    }

    /**
     * Without a bias, the activation backward alone (y standing in for z: the ReLUs' y > 0 exactly when z > 0).
     * With one, kn_bias_activation_backward over (channels, splits), the splits' partial sums in the reducer's
     * scratch and added in order by kn_conv2d_sum_splits (kernels/CONTRACT.md).
     */
    void biasBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha, int samples,
                      int channels, int inner) {
        String op = "biasActivationBackward";
        int n = count(op, dy);
        if (dBias == null) {
            if (n > 0) {
                kernels.activationBackward(op, launch.elementwiseGrid(n), launch.ptr(op, "dz", dz),
                        launch.ptr(op, "dy", dy), launch.ptr(op, "y", y), launch.ptr(op, "y", y), n, code(act), alpha);
            }
            return;
        }
        if (channels == 0) {
            return;
        }
        DevicePointer dBiasPtr = launch.ptr(op, "dBias", dBias);
        if (samples == 0) {
            kernels.fill(op, launch.elementwiseGrid(channels), dBiasPtr, 0f, channels);
            return;
        }
        LaunchConfig.BiasSplit split = LaunchConfig.biasSplit(samples, channels, inner, launch.multiprocessors(),
                ScalarReducer.MAX_PARTIALS);
        DevicePointer out = split.splits() == 1 ? dBiasPtr
                : launch.reducer.partials(op, (long) split.splits() * channels, "the bias gradient's splits");
        kernels.biasActivationBackward(op, new Grid(channels, split.splits(), 1), launch.ptr(op, "dz", dz), out,
                launch.ptr(op, "dy", dy), launch.ptr(op, "y", y), samples, channels, inner, code(act), alpha,
                split.samplesPerSplit());
        if (split.splits() > 1) {
            kernels.conv2dSumSplits(op, launch.elementwiseGrid(channels), dBiasPtr, out, channels, split.splits());
        }
    }

    /** The last axis (inner 1) by the row kernels, a warp per line; any other by the axis kernels, one thread each. */
    void softmaxForward(Tensor y, Tensor x, boolean log, int outer, int k, int inner) {
        String op = log ? "logSoftmaxForward" : "softmaxForward";
        if (noLines(op, x, outer, inner)) {
            return;
        }
        DevicePointer py = launch.ptr(op, "y", y);
        DevicePointer px = launch.ptr(op, "x", x);
        if (inner != 1) {
            kernels.softmaxAxisForward(op, launch.elementwiseGrid((long) outer * inner), py, px, outer, k, inner,
                    log ? 1 : 0);
        } else if (log) {
            kernels.logSoftmaxForward(op, rowGrid(outer), py, px, outer, k);
        } else {
            kernels.softmaxForward(op, rowGrid(outer), py, px, outer, k);
        }
    }

    /** As {@link #softmaxForward}: the row kernels for the last axis, the axis kernels for any other. */
    void softmaxBackward(Tensor dx, Tensor dy, Tensor y, boolean log, int outer, int k, int inner) {
        String op = log ? "logSoftmaxBackward" : "softmaxBackward";
        if (noLines(op, y, outer, inner)) {
            return;
        }
        Grid grid = inner != 1 ? launch.elementwiseGrid((long) outer * inner) : rowGrid(outer);
        DevicePointer pdx = launch.ptr(op, "dx", dx);
        DevicePointer pdy = launch.ptr(op, "dy", dy);
        DevicePointer py = launch.ptr(op, "y", y);
        if (inner != 1) {
            kernels.softmaxAxisBackward(op, grid, pdx, pdy, py, outer, k, inner, log ? 1 : 0);
        } else if (log) {
            kernels.logSoftmaxBackward(op, grid, pdx, pdy, py, outer, k);
        } else {
            kernels.softmaxBackward(op, grid, pdx, pdy, py, outer, k);
        }
    }

    /** Whether a softmax-family op over t has no line to compute (t empty); t's size must fit the kernels' ints. */
    private static boolean noLines(String op, Tensor t, int outer, int inner) {
        count(op, t);
        return (long) outer * inner == 0;
    }
}
