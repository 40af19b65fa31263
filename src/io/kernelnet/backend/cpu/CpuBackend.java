package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.CheckedBackend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.HostStorage;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;

/**
 * The reference backend: plain loops written to be obviously right, following the PyTorch/Keras definitions
 * named in each op's comment. Each op family lives in its own class beside this one; this class only routes the
 * calls that {@link CheckedBackend} has checked. {@link FastCpuBackend} is this backend with the ops that dominate
 * a training step replaced.
 */
public sealed class CpuBackend extends CheckedBackend permits FastCpuBackend {

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Device device() {
        return Device.CPU;
    }

    @Override
    public Storage allocate(long floats, String label) {
        return new HostStorage(floats, label);
    }

    @Override
    protected void doUpload(Tensor dst, float[] src, int srcOffset) {
        System.arraycopy(src, srcOffset, dst.hostArray(), (int) dst.offset(), (int) dst.size());
    }

    @Override
    protected void doDownload(float[] dst, int dstOffset, Tensor src) {
        System.arraycopy(src.hostArray(), (int) src.offset(), dst, dstOffset, (int) src.size());
    }

    @Override
    protected void doCopy(Tensor dst, Tensor src) {
        System.arraycopy(src.hostArray(), (int) src.offset(), dst.hostArray(), (int) dst.offset(), (int) src.size());
    }

    @Override
    protected void doFill(Tensor dst, float value) {
        int o = (int) dst.offset();
        java.util.Arrays.fill(dst.hostArray(), o, o + (int) dst.size(), value);
    }

    @Override
    public void synchronize() {
        // CPU ops complete before they return
    }

    @Override
    protected void doGemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta,
                          int m, int n, int k) {
        CpuGemm.gemm(c, a, transA, b, transB, alpha, beta, m, n, k);
    }

    @Override
    protected void doGemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha,
                                 float beta, int batch, int m, int n, int k) {
        CpuGemm.gemmBatched(c, a, transA, b, transB, alpha, beta, batch, m, n, k);
    }

    @Override
    protected void doBiasAdd(Tensor y, Tensor bias, int samples, int channels, int inner) {
        CpuGemm.biasAdd(y, bias, samples, channels, inner);
    }

    @Override
    protected void doBiasGrad(Tensor dBias, Tensor dy, int samples, int channels, int inner) {
        CpuGemm.biasGrad(dBias, dy, samples, channels, inner);
    }

    @Override
    protected void doBiasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha,
                                           int samples, int channels, int inner) {
        CpuActivations.biasForward(y, z, bias, act, alpha, samples, channels, inner);
    }

    @Override
    protected void doBiasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act,
                                            float alpha, int samples, int channels, int inner) {
        CpuActivations.biasBackward(dz, dBias, dy, y, act, alpha, samples, channels, inner);
    }

    @Override
    protected void doAdd(Tensor y, Tensor a, Tensor b) {
        CpuGemm.add(y, a, b);
    }

    @Override
    protected void doConv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        CpuConv.forward(y, x, w, g);
    }

    @Override
    protected void doConv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        CpuConv.backwardData(dx, dy, w, g);
    }

    @Override
    protected void doConv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        CpuConv.backwardFilter(dw, dy, x, g);
    }

    @Override
    protected void doMaxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        CpuPool.maxForward(y, argmax, x, g);
    }

    @Override
    protected void doMaxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g) {
        CpuPool.maxBackward(dx, dy, argmax, g);
    }

    @Override
    protected void doAvgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        CpuPool.avgForward(y, x, g);
    }

    @Override
    protected void doAvgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        CpuPool.avgBackward(dx, dy, g);
    }

    @Override
    protected void doActivationForward(Tensor y, Tensor x, Activation act, float alpha) {
        CpuActivations.forward(y, x, act, alpha);
    }

    @Override
    protected void doActivationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        CpuActivations.backward(dx, dy, x, y, act, alpha);
    }

    @Override
    protected void doSoftmaxForward(Tensor y, Tensor x, boolean log, int outer, int k, int inner) {
        CpuActivations.softmaxForward(y, x, log, outer, k, inner);
    }

    @Override
    protected void doSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, boolean log, int outer, int k, int inner) {
        CpuActivations.softmaxBackward(dx, dy, y, log, outer, k, inner);
    }

    @Override
    protected void doDropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed,
                                    long offset) {
        CpuDropout.forward(y, mask, x, step, rate, seed, offset);
    }

    @Override
    protected void doDropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        CpuDropout.backward(dx, dy, mask);
    }

    @Override
    protected float doMseLoss(Tensor dPred, Tensor pred, Tensor target) {
        return CpuLosses.mse(dPred, pred, target);
    }

    @Override
    protected void doMseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target) {
        CpuReductions.store(loss, doMseLoss(dPred, pred, target));
    }

    @Override
    protected float doSoftmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels,
                                                int rows, int classes) {
        return CpuLosses.softmaxCrossEntropySparse(probs, dLogits, logits, labels, rows, classes);
    }

    @Override
    protected void doSoftmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits,
                                               Tensor labels, int rows, int classes) {
        CpuReductions.store(loss, doSoftmaxCrossEntropySparse(probs, dLogits, logits, labels, rows, classes));
    }

    @Override
    protected float doSoftmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets, int rows,
                                          int classes) {
        return CpuLosses.softmaxCrossEntropy(probs, dLogits, logits, targets, rows, classes);
    }

    @Override
    protected void doSoftmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets,
                                         int rows, int classes) {
        CpuReductions.store(loss, doSoftmaxCrossEntropy(probs, dLogits, logits, targets, rows, classes));
    }

    @Override
    protected void doSgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                               SgdSettings settings) {
        CpuOptimizers.sgd(param, grad, velocity, step, halt, settings);
    }

    @Override
    protected void doAdamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                AdamSettings settings) {
        CpuOptimizers.adam(param, grad, m, v, step, halt, settings);
    }

    @Override
    protected float doSum(Tensor x) {
        return CpuReductions.sum(x);
    }

    @Override
    protected void doSum(Tensor result, Tensor x) {
        CpuReductions.store(result, doSum(x));
    }

    @Override
    protected float doMean(Tensor x) {
        return CpuReductions.mean(x);
    }

    @Override
    protected void doArgmax(Tensor indices, Tensor x, int rows, int k) {
        CpuReductions.argmax(indices, x, rows, k);
    }

    @Override
    protected int doAccuracyCount(Tensor scores, Tensor labels, boolean oneHot) {
        return CpuReductions.accuracyCount(scores, labels, oneHot);
    }

    @Override
    protected void doAccuracyCount(Tensor count, Tensor scores, Tensor labels, boolean oneHot) {
        CpuReductions.store(count, doAccuracyCount(scores, labels, oneHot));
    }

    @Override
    protected void doFlagNonFinite(Tensor halt, Tensor x) {
        CpuReductions.flagNonFinite(halt, x);
    }

    @Override
    public void close() {
        // nothing held: storages belong to whoever allocated them
    }
}
