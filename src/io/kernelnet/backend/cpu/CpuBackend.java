package io.kernelnet.backend.cpu;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.SgdSettings;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.HostStorage;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;

/**
 * The reference backend: plain loops written to be obviously right, following the PyTorch/Keras definitions
 * named in each op's comment. Each op family lives in its own class beside this one; this class only routes.
 */
public final class CpuBackend implements Backend {

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
    public void upload(Tensor dst, float[] src, int srcOffset) {
        ShapeChecks.upload(dst, src.length, srcOffset);
        System.arraycopy(src, srcOffset, dst.hostArray(), (int) dst.offset(), (int) dst.size());
    }

    @Override
    public void download(float[] dst, int dstOffset, Tensor src) {
        ShapeChecks.download(dst.length, dstOffset, src);
        System.arraycopy(src.hostArray(), (int) src.offset(), dst, dstOffset, (int) src.size());
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        ShapeChecks.sameSize("copy", "dst", dst, "src", src);
        System.arraycopy(src.hostArray(), (int) src.offset(), dst.hostArray(), (int) dst.offset(), (int) src.size());
    }

    @Override
    public void fill(Tensor dst, float value) {
        int o = (int) dst.offset();
        java.util.Arrays.fill(dst.hostArray(), o, o + (int) dst.size(), value);
    }

    @Override
    public void synchronize() {
        // CPU ops complete before they return
    }

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        CpuGemm.gemm(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        CpuGemm.gemmBatched(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        CpuGemm.biasAdd(y, bias);
    }

    @Override
    public void biasGrad(Tensor dBias, Tensor dy) {
        CpuGemm.biasGrad(dBias, dy);
    }

    /** The definition: gemm, then the epilogue op. */
    @Override
    public void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
        ShapeChecks.gemmBiasActivation("gemmBiasActivation", c, a, b, bias, act, alpha);
        CpuGemm.gemm(c, a, false, b, false, 1f, 0f);
        if (act != null) {
            CpuActivations.biasForward(c, c, bias, act, alpha);
        } else if (bias != null) {
            CpuGemm.biasAdd(c, bias);
        }
    }

    @Override
    public void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha) {
        CpuActivations.biasForward(y, z, bias, act, alpha);
    }

    @Override
    public void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha) {
        CpuActivations.biasBackward(dz, dBias, dy, y, act, alpha);
    }

    @Override
    public void add(Tensor y, Tensor a, Tensor b) {
        CpuGemm.add(y, a, b);
    }

    @Override
    public void conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        CpuConv.forward(y, x, w, g);
    }

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        CpuConv.backwardData(dx, dy, w, g);
    }

    @Override
    public void conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        CpuConv.backwardFilter(dw, dy, x, g);
    }

    @Override
    public void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        CpuPool.maxForward(y, argmax, x, g);
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g) {
        CpuPool.maxBackward(dx, dy, x, y, argmax, g);
    }

    @Override
    public void avgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        CpuPool.avgForward(y, x, g);
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        CpuPool.avgBackward(dx, dy, g);
    }

    @Override
    public void activationForward(Tensor y, Tensor x, Activation act, float alpha) {
        CpuActivations.forward(y, x, act, alpha);
    }

    @Override
    public void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        CpuActivations.backward(dx, dy, x, y, act, alpha);
    }

    @Override
    public void softmaxForward(Tensor y, Tensor x, int axis) {
        CpuActivations.softmaxForward(y, x, axis, false);
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        CpuActivations.softmaxBackward(dx, dy, y, axis, false);
    }

    @Override
    public void logSoftmaxForward(Tensor y, Tensor x, int axis) {
        CpuActivations.softmaxForward(y, x, axis, true);
    }

    @Override
    public void logSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        CpuActivations.softmaxBackward(dx, dy, y, axis, true);
    }

    @Override
    public void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset) {
        CpuDropout.forward(y, mask, x, step, rate, seed, offset);
    }

    @Override
    public void dropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        CpuDropout.backward(dx, dy, mask);
    }

    @Override
    public float mseLoss(Tensor dPred, Tensor pred, Tensor target) {
        return CpuLosses.mse(dPred, pred, target);
    }

    @Override
    public float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        return CpuLosses.softmaxCrossEntropySparse(probs, dLogits, logits, labels);
    }

    @Override
    public float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        return CpuLosses.softmaxCrossEntropy(probs, dLogits, logits, targets);
    }

    @Override
    public void mseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target) {
        ShapeChecks.scalar("mseLoss", "loss", loss);
        CpuReductions.store(loss, CpuLosses.mse(dPred, pred, target));
    }

    @Override
    public void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        ShapeChecks.scalar("softmaxCrossEntropySparse", "loss", loss);
        CpuReductions.store(loss, CpuLosses.softmaxCrossEntropySparse(probs, dLogits, logits, labels));
    }

    @Override
    public void softmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        ShapeChecks.scalar("softmaxCrossEntropy", "loss", loss);
        CpuReductions.store(loss, CpuLosses.softmaxCrossEntropy(probs, dLogits, logits, targets));
    }

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                          SgdSettings settings) {
        CpuOptimizers.sgd(param, grad, velocity, step, halt, settings);
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                           AdamSettings settings) {
        CpuOptimizers.adam(param, grad, m, v, step, halt, settings);
    }

    @Override
    public float sum(Tensor x) {
        return CpuReductions.sum(x);
    }

    @Override
    public void sum(Tensor result, Tensor x) {
        ShapeChecks.scalar("sum", "result", result);
        CpuReductions.store(result, CpuReductions.sum(x));
    }

    @Override
    public float mean(Tensor x) {
        return CpuReductions.mean(x);
    }

    @Override
    public void argmax(Tensor indices, Tensor x) {
        CpuReductions.argmax(indices, x);
    }

    @Override
    public int accuracyCount(Tensor scores, Tensor labels) {
        return CpuReductions.accuracyCount(scores, labels);
    }

    @Override
    public void accuracyCount(Tensor count, Tensor scores, Tensor labels) {
        ShapeChecks.scalar("accuracyCount", "count", count);
        CpuReductions.store(count, CpuReductions.accuracyCount(scores, labels));
    }

    @Override
    public void flagNonFinite(Tensor halt, Tensor x) {
        CpuReductions.flagNonFinite(halt, x);
    }

    @Override
    public void close() {
        // nothing held: storages belong to whoever allocated them
    }
}
