package io.kernelnet.backend;

import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;

/**
 * Every op the layers need, forward and backward. Arguments follow llm.c's order: outputs first, then inputs,
 * then sizes and settings. Outputs are preallocated and overwritten (never accumulated into, unless the op says
 * so); no op allocates. All tensors of one call live on this backend's device. Shape errors raise
 * IllegalArgumentException naming the op and the shapes: every backend extends {@link CheckedBackend}, which
 * runs {@link ShapeChecks} before the backend's computation.
 *
 * <p>Class labels travel as float tensors holding integer values (exact below 2^24).
 */
public interface Backend extends AutoCloseable {

    /** "cpu" or "cuda". */
    String name();

    Device device();

    // ---- memory -------------------------------------------------------------------------------------------

    /** One allocation of {@code floats} float32 elements; the graph layer carves it into named tensors. */
    Storage allocate(long floats, String label);

    /** Copies {@code dst.size()} floats from {@code src[srcOffset..]} into {@code dst}. */
    void upload(Tensor dst, float[] src, int srcOffset);

    /**
     * {@link #upload}, except that a device backend may return before the copy is done: {@code src} is read at once
     * (it may be reused when this returns) and the copy runs in order with the ops queued before and after it. A
     * training step's batch goes this way, so the host can prepare the next batch while the device computes.
     */
    default void uploadAsync(Tensor dst, float[] src, int srcOffset) {
        upload(dst, src, srcOffset);
    }

    /**
     * Called by the graph layer at build with the largest {@link #uploadAsync} a step will make, so that a device
     * backend can set aside, then and not during training, what lets the copy of the next batch overlap the step
     * before it (CUDA: device landing buffers for a second stream). The default (the CPU backends): nothing.
     */
    default void reserveAsyncUploads(long floats) {
    }

    /** Copies all of {@code src} into {@code dst[dstOffset..]}. */
    void download(float[] dst, int dstOffset, Tensor src);

    /** dst = src (same size). */
    void copy(Tensor dst, Tensor src);

    void fill(Tensor dst, float value);

    /** Waits until all queued work is done (a no-op on the CPU). */
    void synchronize();

    // ---- dense algebra --------------------------------------------------------------------------------------

    /**
     * c = alpha * op(a) * op(b) + beta * c, row-major 2D tensors: op(a) is [M, K] (a is [K, M] when transA),
     * op(b) is [K, N] (b is [N, K] when transB), c is [M, N]. With beta = 0, c is not read (NaN in c is fine).
     */
    void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta);

    /** {@link #gemm} for each of B matrices in 3D tensors [B, rows, cols] stored one after another. */
    void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta);

    /**
     * c = act(a b + bias[j]) for row-major a [M, K], b [K, N], c [M, N], bias [N]: a Dense layer's forward in one
     * op (our CUDA kernels apply bias and activation in the GEMM's epilogue). bias null: none; act null: none.
     * Equal to gemm, then biasActivationForward (or biasAdd).
     */
    void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha);

    /** y[n, c, ...] += bias[c]: channel axis 1 (the features of a 2D [n, c] tensor, the channels of NCHW). */
    void biasAdd(Tensor y, Tensor bias);

    /** dBias[c] = sum over n and the trailing axes of dy[n, c, ...] (Dense and Conv2D bias gradients). */
    void biasGrad(Tensor dBias, Tensor dy);

    /**
     * y = act(z + bias[c]) over channel axis 1 (as {@link #biasAdd}) in one pass: the epilogue of a Dense or Conv2D
     * whose activation the graph layer fused. y may be z; bias may be null (the layer has none). LeakyReLU needs
     * alpha >= 0, so that its backward can read the sign of z from y.
     */
    void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha);

    /**
     * The backward of {@link #biasActivationForward} in one pass: dz = dy * act'(z), read from y = act(z) (the
     * ReLUs: y > 0, the same as z > 0 for alpha >= 0), and dBias[c] = the sum of dz over n and the trailing axes.
     * dz may be dy; dBias may be null (no bias).
     */
    void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha);

    /** y = a + b elementwise (gradient accumulation where a tensor feeds several layers). */
    void add(Tensor y, Tensor a, Tensor b);

    // ---- convolution and pooling (NCHW) -----------------------------------------------------------------------

    /**
     * Decides, once per convolution shape and before any step runs (the graph layer calls it while building), how
     * this backend will compute convolutions of geometry {@code g} (batch {@code g.n()} or fewer), and how much
     * scratch that needs. The default (the CPU backends): nothing to decide, no scratch, no description.
     */
    default ConvPlan planConv2d(Conv2dGeometry g) {
        return new ConvPlan(0, "");
    }

    /**
     * Scratch floats that this backend's libraries want for the whole run, whatever the model (cuBLAS's workspace:
     * without one it allocates its own while a CUDA graph is captured). The graph layer plans the shared workspace
     * at least this large. The default (the CPU backends): none.
     */
    default long libraryWorkspaceFloats() {
        return 0;
    }

    /**
     * The scratch buffer that the planned convolutions and the libraries share, one op at a time (at least the
     * largest {@link #planConv2d} or {@link #libraryWorkspaceFloats} asked for; null: none, and a library goes back
     * to its own), so that no op allocates. The caller owns it and keeps it alive while it is in use.
     */
    default void useWorkspace(Tensor workspace) {
    }

    /** y [n, cOut, outH, outW] = conv(x [n, cIn, h, w], w [cOut, cIn, kh, kw]); no bias (see biasAdd). */
    void conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g);

    /** dx = gradient of the loss with respect to x, given dy and w. */
    void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g);

    /** dw = gradient of the loss with respect to w, given dy and x (summed over the batch). */
    void conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g);

    /**
     * y = max over each window; argmax [n, c, outH, outW] receives the index (ih*w + iw) within the input plane
     * of the first maximum, which the backward pass routes the gradient to.
     */
    void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g);

    /**
     * dx = 0, then dx[argmax] += dy (overlapping windows accumulate). x and y are the forward pass's input and
     * output: a backend may route the gradient from them instead of argmax (cuDNN does), so they must be the
     * tensors that forward produced argmax from.
     */
    void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g);

    /** y = mean over the unpadded part of each window. */
    void avgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g);

    void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g);

    // ---- activations --------------------------------------------------------------------------------------

    /** y = act(x) elementwise; {@code alpha} is LeakyReLU's negative slope, ignored by the others. y may be x. */
    void activationForward(Tensor y, Tensor x, Activation act, float alpha);

    /** dx = dy * act'(x), using x (ReLU, LeakyReLU) or y = act(x) (sigmoid, tanh). dx may be dy. */
    void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha);

    /**
     * Softmax over axis {@code axis} of x (any rank, 0 <= axis < rank; Keras' Softmax(axis)), max-subtracted: x is
     * seen as [outer, k, inner] with k = x.dim(axis), and each line of k values (stride inner) is one softmax. A
     * Dense output [n, classes] takes axis 1; the channels of NCHW [n, c, h, w] are axis 1 too (inner = h*w).
     */
    void softmaxForward(Tensor y, Tensor x, int axis);

    /** dx = y * (dy - sum(dy * y)) along each line of axis {@code axis}. */
    void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis);

    /** y = x - max - log(sum(exp(x - max))) along each line of axis {@code axis}, as {@link #softmaxForward}. */
    void logSoftmaxForward(Tensor y, Tensor x, int axis);

    /** dx = dy - exp(y) * sum(dy) along each line of axis {@code axis}. */
    void logSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis);

    /**
     * Inverted dropout: element i is kept when its {@link Philox} uniform (seed, counter, i) is >= rate, then
     * y = x / (1 - rate), else y = 0; mask receives 1/(1-rate) or 0, so that the backward pass is dx = dy * mask.
     * The counter is the step's generator position, read from {@code step} ({@link StepScalars}), plus
     * {@code offset}, this draw's place within the step.
     */
    void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset);

    /** dx = dy * mask. */
    void dropoutBackward(Tensor dx, Tensor dy, Tensor mask);

    // ---- losses: each writes the gradient of the batch's mean loss, and returns that mean (a host round trip on a
    //      device) or, in the variant with a first argument {@code loss} (one element), writes it there ------------

    /** Mean over all elements of (pred - target)^2 (Keras mse); dPred = 2 (pred - target) / size. */
    float mseLoss(Tensor dPred, Tensor pred, Tensor target);

    /** {@link #mseLoss(Tensor, Tensor, Tensor)} with the mean written into {@code loss} (one element). */
    void mseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target);

    /**
     * Softmax cross-entropy with integer labels [n] over logits [n, k]: mean of logsumexp(z) - z[label].
     * probs = softmax(z); dLogits = (probs - onehot(label)) / n. Labels outside [0, k) are refused.
     */
    float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels);

    /**
     * {@link #softmaxCrossEntropySparse(Tensor, Tensor, Tensor, Tensor)} with the mean written into {@code loss}
     * (one element). A device backend may skip the label check here (it would cost a host round trip; the caller
     * checks its labels once, as Model.fit does): a label outside [0, k) then adds 0 to the loss.
     */
    void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor labels);

    /**
     * Softmax cross-entropy with one-hot or probability targets [n, k]: mean of -sum(t * log softmax(z)).
     * probs = softmax(z); dLogits = (probs * sum(t) - t) / n.
     */
    float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets);

    /** {@link #softmaxCrossEntropy(Tensor, Tensor, Tensor, Tensor)} with the mean written into {@code loss}. */
    void softmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets);

    // ---- optimizers: in place, over any flat run of parameters (the graph layer keeps them contiguous); the
    //      learning rate and the step number come from {@code step} ({@link StepScalars}) ---------------------------

    /**
     * See {@link SgdSettings}; {@code velocity} may be null only when momentum is 0. When {@code halt} (one element,
     * or null) holds a non-zero value nothing is written: a step found bad on the device is skipped there.
     */
    void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt, SgdSettings settings);

    default void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, SgdSettings settings) {
        sgdUpdate(param, grad, velocity, step, null, settings);
    }

    /**
     * See {@link AdamSettings}; the step number in {@code step} counts from 1. Skipped, like {@link #sgdUpdate},
     * while {@code halt} (or null) is non-zero.
     */
    void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt, AdamSettings settings);

    default void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, AdamSettings settings) {
        adamUpdate(param, grad, m, v, step, null, settings);
    }

    // ---- reductions and metrics: the variants with a one-element output stay on the device ------------------

    float sum(Tensor x);

    /** result[0] = sum of x (0 for an empty x), the sum {@link #sum(Tensor)} returns. */
    void sum(Tensor result, Tensor x);

    float mean(Tensor x);

    /** indices[r] = index of the first maximum of row r of x [rows, k]. */
    void argmax(Tensor indices, Tensor x);

    /**
     * Rows whose first-maximum score matches the label: labels [n] hold class indices, or labels [n, k] hold
     * one-hot/probability rows (compared by their own argmax).
     */
    int accuracyCount(Tensor scores, Tensor labels);

    /** count[0] = {@link #accuracyCount(Tensor, Tensor)} as a float (exact below 2^24 rows). */
    void accuracyCount(Tensor count, Tensor scores, Tensor labels);

    /**
     * halt[0] = 1 when x holds a NaN or an infinity, else halt is left as it is: the flag stays set until its
     * owner clears it, so that every later guarded update is skipped too.
     */
    void flagNonFinite(Tensor halt, Tensor x);

    // ---- whole training steps --------------------------------------------------------------------------------

    /**
     * Runs {@code work}, the device work of one training step (its op calls, no host reads of device data). A
     * backend may record it once per {@link TrainingStep#shape()} and then replay the record instead of calling
     * {@code work} (CUDA graphs). That is exact because steps of one shape make the same op calls with the same
     * host arguments: what changes from step to step is in tensors written before this call (the batch, the
     * {@link StepScalars}). {@code work} must leave no host state behind, and may be run more than once for one
     * step (a failed recording). The default: run it.
     */
    default void runStep(TrainingStep step, Runnable work) {
        work.run();
    }

    /** Drops whatever {@link #runStep} recorded for steps of {@code owner} (its memory is being released). */
    default void forgetSteps(Object owner) {
    }

    // ---- what a caller may ask of any backend, instead of asking which backend it is --------------------------

    /** How this backend computes ({@link Numerics}); the default: FP32, pooling sums in the CPU's order. */
    default Numerics numerics() {
        return Numerics.FP32;
    }

    /**
     * Whether {@link #maxPool2dForward} writes its argmax for windows of {@code g}. The default: yes. cuDNN's
     * pooling writes none (its backward reads x and y), so a comparison of argmax against the reference skips it.
     */
    default boolean writesMaxPoolArgmax(Pool2dGeometry g) {
        return true;
    }

    /** Releases the device resources this backend owns (not the storages it handed out). */
    @Override
    void close();
}
