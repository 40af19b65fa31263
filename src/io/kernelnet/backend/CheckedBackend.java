package io.kernelnet.backend;

import io.kernelnet.tensor.Shape;
import io.kernelnet.tensor.Tensor;

/**
 * The base of every backend: the one place an op's arguments are checked. Each op of {@link Backend} is final
 * here: it runs the {@link ShapeChecks} of that op, then hands the call to the protected {@code do} method of the
 * same name, which a backend implements with the computation alone (Caffe's final {@code Layer::Forward}
 * dispatching to {@code Forward_cpu}/{@code Forward_gpu}). So every backend, however it is constructed, refuses a bad
 * call before computing, with the same IllegalArgumentException naming the op, the argument and the shapes.
 *
 * <p>The sizes a check derives (a GEMM's M, N, K; a bias's samples, channels and inner size; a softmax axis's
 * outer, k and inner) are passed on after the tensors, llm.c's order, so that no backend derives them again.
 * What only one backend can check stays with it: the CPU reads label values and Adam's step number from host
 * memory, the CUDA backend that a tensor lives in its memory and that a size fits its kernels' int indices.
 */
public abstract class CheckedBackend implements Backend {

    // ---- memory -------------------------------------------------------------------------------------------

    @Override
    public final void upload(Tensor dst, float[] src, int srcOffset) {
        checkUpload("upload", dst, src, srcOffset);
        doUpload(dst, src, srcOffset);
    }

    @Override
    public final void uploadAsync(Tensor dst, float[] src, int srcOffset) {
        checkUpload("uploadAsync", dst, src, srcOffset);
        doUploadAsync(dst, src, srcOffset);
    }

    private static void checkUpload(String op, Tensor dst, float[] src, int srcOffset) {
        ShapeChecks.notNull(op, "dst", dst);
        if (src == null) {
            throw ShapeChecks.error(op, "src is null");
        }
        ShapeChecks.upload(op, dst, src.length, srcOffset);
    }

    @Override
    public final void download(float[] dst, int dstOffset, Tensor src) {
        ShapeChecks.notNull("download", "src", src);
        if (dst == null) {
            throw ShapeChecks.error("download", "dst is null");
        }
        ShapeChecks.download(dst.length, dstOffset, src);
        doDownload(dst, dstOffset, src);
    }

    @Override
    public final void copy(Tensor dst, Tensor src) {
        ShapeChecks.sameSize("copy", "dst", dst, "src", src);
        doCopy(dst, src);
    }

    @Override
    public final void fill(Tensor dst, float value) {
        ShapeChecks.notNull("fill", "dst", dst);
        doFill(dst, value);
    }

    protected abstract void doUpload(Tensor dst, float[] src, int srcOffset);

    /** {@link Backend#uploadAsync}; the default: {@link #doUpload}. */
    protected void doUploadAsync(Tensor dst, float[] src, int srcOffset) {
        doUpload(dst, src, srcOffset);
    }

    protected abstract void doDownload(float[] dst, int dstOffset, Tensor src);

    protected abstract void doCopy(Tensor dst, Tensor src);

    protected abstract void doFill(Tensor dst, float value);

    // ---- dense algebra --------------------------------------------------------------------------------------

    @Override
    public final void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        int[] mnk = ShapeChecks.gemm("gemm", c, a, transA, b, transB);
        doGemm(c, a, transA, b, transB, alpha, beta, mnk[0], mnk[1], mnk[2]);
    }

    @Override
    public final void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha,
                                  float beta) {
        int[] bmnk = ShapeChecks.gemmBatched("gemmBatched", c, a, transA, b, transB);
        doGemmBatched(c, a, transA, b, transB, alpha, beta, bmnk[0], bmnk[1], bmnk[2], bmnk[3]);
    }

    @Override
    public final void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
        int[] mnk = ShapeChecks.gemmBiasActivation("gemmBiasActivation", c, a, b, bias, act, alpha);
        doGemmBiasActivation(c, a, b, bias, act, alpha, mnk[0], mnk[1], mnk[2]);
    }

    @Override
    public final void biasAdd(Tensor y, Tensor bias) {
        int[] nci = ShapeChecks.bias("biasAdd", y, bias);
        doBiasAdd(y, bias, nci[0], nci[1], nci[2]);
    }

    @Override
    public final void biasGrad(Tensor dBias, Tensor dy) {
        int[] nci = ShapeChecks.bias("biasGrad", dy, dBias);
        doBiasGrad(dBias, dy, nci[0], nci[1], nci[2]);
    }

    @Override
    public final void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha) {
        int[] nci = ShapeChecks.biasActivation("biasActivationForward", "y", y, "z", z, bias, act, alpha);
        doBiasActivationForward(y, z, bias, act, alpha, nci[0], nci[1], nci[2]);
    }

    @Override
    public final void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act,
                                             float alpha) {
        String op = "biasActivationBackward";
        ShapeChecks.sameShape(op, "dz", dz, "dy", dy);
        int[] nci = ShapeChecks.biasActivation(op, "dy", dy, "y", y, dBias, act, alpha);
        doBiasActivationBackward(dz, dBias, dy, y, act, alpha, nci[0], nci[1], nci[2]);
    }

    @Override
    public final void add(Tensor y, Tensor a, Tensor b) {
        ShapeChecks.sameShape("add", "a", a, "b", b);
        ShapeChecks.sameShape("add", "y", y, "a", a);
        doAdd(y, a, b);
    }

    /** {@link Backend#gemm}: c [m, n] = alpha op(a) [m, k] op(b) [k, n] + beta c. */
    protected abstract void doGemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha,
                                   float beta, int m, int n, int k);

    /** {@link Backend#gemmBatched}: {@link #doGemm} for each of {@code batch} matrices. */
    protected abstract void doGemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha,
                                          float beta, int batch, int m, int n, int k);

    /**
     * {@link Backend#gemmBiasActivation}; the default is its definition, {@link #doGemm} and then
     * {@link #doBiasActivationForward} (or {@link #doBiasAdd} without an activation).
     */
    protected void doGemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha,
                                        int m, int n, int k) {
        doGemm(c, a, false, b, false, 1f, 0f, m, n, k);
        if (act != null) {
            doBiasActivationForward(c, c, bias, act, alpha, m, n, 1);
        } else if (bias != null) {
            doBiasAdd(c, bias, m, n, 1);
        }
    }

    /** {@link Backend#biasAdd} over y seen as [samples, channels, inner]. */
    protected abstract void doBiasAdd(Tensor y, Tensor bias, int samples, int channels, int inner);

    protected abstract void doBiasGrad(Tensor dBias, Tensor dy, int samples, int channels, int inner);

    protected abstract void doBiasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha,
                                                    int samples, int channels, int inner);

    protected abstract void doBiasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act,
                                                     float alpha, int samples, int channels, int inner);

    protected abstract void doAdd(Tensor y, Tensor a, Tensor b);

    // ---- convolution and pooling --------------------------------------------------------------------------------

    @Override
    public final void conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        ShapeChecks.conv2d("conv2dForward", y, x, w, g);
        doConv2dForward(y, x, w, g);
    }

    @Override
    public final void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        ShapeChecks.conv2d("conv2dBackwardData", dy, dx, w, g);
        doConv2dBackwardData(dx, dy, w, g);
    }

    @Override
    public final void conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        ShapeChecks.conv2d("conv2dBackwardFilter", dy, x, dw, g);
        doConv2dBackwardFilter(dw, dy, x, g);
    }

    @Override
    public final void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        String op = "maxPool2dForward";
        ShapeChecks.pool2d(op, y, x, g);
        ShapeChecks.shapeIs(op, "argmax", argmax, g.outputShape());
        doMaxPool2dForward(y, argmax, x, g);
    }

    @Override
    public final void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g) {
        ShapeChecks.maxPool2dBackward("maxPool2dBackward", dx, dy, x, y, argmax, g);
        doMaxPool2dBackward(dx, dy, x, y, argmax, g);
    }

    @Override
    public final void avgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        ShapeChecks.pool2d("avgPool2dForward", y, x, g);
        doAvgPool2dForward(y, x, g);
    }

    @Override
    public final void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        ShapeChecks.pool2d("avgPool2dBackward", dy, dx, g);
        doAvgPool2dBackward(dx, dy, g);
    }

    protected abstract void doConv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g);

    protected abstract void doConv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g);

    protected abstract void doConv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g);

    protected abstract void doMaxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g);

    protected abstract void doMaxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax,
                                                Pool2dGeometry g);

    protected abstract void doAvgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g);

    protected abstract void doAvgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g);

    // ---- activations and dropout --------------------------------------------------------------------------------

    @Override
    public final void activationForward(Tensor y, Tensor x, Activation act, float alpha) {
        ShapeChecks.sameShape("activationForward", "y", y, "x", x);
        doActivationForward(y, x, act, alpha);
    }

    /** The ReLUs read x, sigmoid and tanh read y: only the one read is checked (the other may be null). */
    @Override
    public final void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        String op = "activationBackward";
        ShapeChecks.sameShape(op, "dx", dx, "dy", dy);
        boolean fromInput = act == Activation.RELU || act == Activation.LEAKY_RELU;
        ShapeChecks.sameShape(op, "dy", dy, fromInput ? "x" : "y", fromInput ? x : y);
        doActivationBackward(dx, dy, x, y, act, alpha);
    }

    @Override
    public final void softmaxForward(Tensor y, Tensor x, int axis) {
        softmaxFamilyForward("softmaxForward", false, y, x, axis);
    }

    @Override
    public final void logSoftmaxForward(Tensor y, Tensor x, int axis) {
        softmaxFamilyForward("logSoftmaxForward", true, y, x, axis);
    }

    @Override
    public final void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        softmaxFamilyBackward("softmaxBackward", false, dx, dy, y, axis);
    }

    @Override
    public final void logSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        softmaxFamilyBackward("logSoftmaxBackward", true, dx, dy, y, axis);
    }

    private void softmaxFamilyForward(String op, boolean log, Tensor y, Tensor x, int axis) {
        int[] oki = ShapeChecks.softmaxAxis(op, "x", x, axis);
        ShapeChecks.sameShape(op, "y", y, "x", x);
        doSoftmaxForward(y, x, log, oki[0], oki[1], oki[2]);
    }

    private void softmaxFamilyBackward(String op, boolean log, Tensor dx, Tensor dy, Tensor y, int axis) {
        int[] oki = ShapeChecks.softmaxAxis(op, "y", y, axis);
        ShapeChecks.sameShape(op, "dy", dy, "y", y);
        ShapeChecks.sameShape(op, "dx", dx, "dy", dy);
        doSoftmaxBackward(dx, dy, y, log, oki[0], oki[1], oki[2]);
    }

    @Override
    public final void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed,
                                     long offset) {
        String op = "dropoutForward";
        ShapeChecks.unitInterval(op, "rate", rate);
        ShapeChecks.sameShape(op, "y", y, "x", x);
        ShapeChecks.sameShape(op, "mask", mask, "x", x);
        ShapeChecks.stepScalars(op, step);
        doDropoutForward(y, mask, x, step, rate, seed, offset);
    }

    @Override
    public final void dropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        String op = "dropoutBackward";
        ShapeChecks.sameShape(op, "dx", dx, "dy", dy);
        ShapeChecks.sameShape(op, "mask", mask, "dy", dy);
        doDropoutBackward(dx, dy, mask);
    }

    protected abstract void doActivationForward(Tensor y, Tensor x, Activation act, float alpha);

    protected abstract void doActivationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act,
                                                 float alpha);

    /**
     * Softmax ({@code log}: log-softmax) along one axis, x seen as [outer, k, inner]: each of the outer * inner
     * lines of k values, stride inner, is one softmax.
     */
    protected abstract void doSoftmaxForward(Tensor y, Tensor x, boolean log, int outer, int k, int inner);

    protected abstract void doSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, boolean log, int outer, int k,
                                              int inner);

    protected abstract void doDropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed,
                                             long offset);

    protected abstract void doDropoutBackward(Tensor dx, Tensor dy, Tensor mask);

    // ---- losses ---------------------------------------------------------------------------------------------

    @Override
    public final float mseLoss(Tensor dPred, Tensor pred, Tensor target) {
        checkMse(dPred, pred, target);
        return doMseLoss(dPred, pred, target);
    }

    @Override
    public final void mseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target) {
        ShapeChecks.scalar("mseLoss", "loss", loss);
        checkMse(dPred, pred, target);
        doMseLoss(loss, dPred, pred, target);
    }

    private static void checkMse(Tensor dPred, Tensor pred, Tensor target) {
        ShapeChecks.sameShape("mseLoss", "pred", pred, "target", target);
        ShapeChecks.sameShape("mseLoss", "dPred", dPred, "pred", pred);
    }

    @Override
    public final float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        int[] nk = crossEntropy(true, null, probs, dLogits, logits, labels);
        return doSoftmaxCrossEntropySparse(probs, dLogits, logits, labels, nk[0], nk[1]);
    }

    @Override
    public final void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits,
                                                Tensor labels) {
        int[] nk = crossEntropy(true, loss, probs, dLogits, logits, labels);
        doSoftmaxCrossEntropySparse(loss, probs, dLogits, logits, labels, nk[0], nk[1]);
    }

    @Override
    public final float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        int[] nk = crossEntropy(false, null, probs, dLogits, logits, targets);
        return doSoftmaxCrossEntropy(probs, dLogits, logits, targets, nk[0], nk[1]);
    }

    @Override
    public final void softmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        int[] nk = crossEntropy(false, loss, probs, dLogits, logits, targets);
        doSoftmaxCrossEntropy(loss, probs, dLogits, logits, targets, nk[0], nk[1]);
    }

    /** Either cross-entropy's checks, {@code loss} (null: the variant that returns the mean) first; {rows, k}. */
    private static int[] crossEntropy(boolean sparse, Tensor loss, Tensor probs, Tensor dLogits, Tensor logits,
                                      Tensor targets) {
        String op = sparse ? "softmaxCrossEntropySparse" : "softmaxCrossEntropy";
        if (loss != null) {
            ShapeChecks.scalar(op, "loss", loss);
        }
        return ShapeChecks.softmaxCrossEntropy(op, probs, dLogits, logits, targets, sparse);
    }

    protected abstract float doMseLoss(Tensor dPred, Tensor pred, Tensor target);

    protected abstract void doMseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target);

    /** Over logits [rows, classes]; label values are checked where they are read (the CPU: here). */
    protected abstract float doSoftmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels,
                                                         int rows, int classes);

    protected abstract void doSoftmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits,
                                                        Tensor labels, int rows, int classes);

    protected abstract float doSoftmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets,
                                                   int rows, int classes);

    protected abstract void doSoftmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits,
                                                  Tensor targets, int rows, int classes);

    // ---- optimizers -------------------------------------------------------------------------------------------

    @Override
    public final void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                                SgdSettings settings) {
        ShapeChecks.sgd(param, grad, velocity, step, settings);
        checkHalt("sgdUpdate", halt);
        doSgdUpdate(param, grad, velocity, step, halt, settings);
    }

    @Override
    public final void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                 AdamSettings settings) {
        ShapeChecks.adam(param, grad, m, v, step);
        checkHalt("adamUpdate", halt);
        doAdamUpdate(param, grad, m, v, step, halt, settings);
    }

    private static void checkHalt(String op, Tensor halt) {
        if (halt != null) {
            ShapeChecks.scalar(op, "halt", halt);
        }
    }

    /** {@link Backend#sgdUpdate}; {@code velocity} is non-null when the settings have momentum. */
    protected abstract void doSgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                                        SgdSettings settings);

    protected abstract void doAdamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                         AdamSettings settings);

    // ---- reductions and metrics ---------------------------------------------------------------------------

    @Override
    public final float sum(Tensor x) {
        ShapeChecks.notNull("sum", "x", x);
        return doSum(x);
    }

    @Override
    public final void sum(Tensor result, Tensor x) {
        ShapeChecks.scalar("sum", "result", result);
        ShapeChecks.notNull("sum", "x", x);
        doSum(result, x);
    }

    @Override
    public final float mean(Tensor x) {
        ShapeChecks.notNull("mean", "x", x);
        return doMean(x);
    }

    @Override
    public final void argmax(Tensor indices, Tensor x) {
        int[] nk = ShapeChecks.rows("argmax", x);
        ShapeChecks.shapeIs("argmax", "indices", indices, Shape.of(nk[0]));
        doArgmax(indices, x, nk[0], nk[1]);
    }

    @Override
    public final int accuracyCount(Tensor scores, Tensor labels) {
        boolean oneHot = ShapeChecks.accuracy(scores, labels);
        return doAccuracyCount(scores, labels, oneHot);
    }

    @Override
    public final void accuracyCount(Tensor count, Tensor scores, Tensor labels) {
        ShapeChecks.scalar("accuracyCount", "count", count);
        boolean oneHot = ShapeChecks.accuracy(scores, labels);
        doAccuracyCount(count, scores, labels, oneHot);
    }

    @Override
    public final void flagNonFinite(Tensor halt, Tensor x) {
        ShapeChecks.scalar("flagNonFinite", "halt", halt);
        ShapeChecks.notNull("flagNonFinite", "x", x);
        doFlagNonFinite(halt, x);
    }

    protected abstract float doSum(Tensor x);

    protected abstract void doSum(Tensor result, Tensor x);

    protected abstract float doMean(Tensor x);

    protected abstract void doArgmax(Tensor indices, Tensor x, int rows, int k);

    /** Scores [n, k]; labels [n] of class indices, or ({@code oneHot}) rows like the scores. */
    protected abstract int doAccuracyCount(Tensor scores, Tensor labels, boolean oneHot);

    protected abstract void doAccuracyCount(Tensor count, Tensor scores, Tensor labels, boolean oneHot);

    protected abstract void doFlagNonFinite(Tensor halt, Tensor x);
}
