package io.kernelnet.backend;

import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;

/**
 * Forwards every call to another backend, which checks the arguments and computes: the base of a wrapper that
 * watches or changes a few calls (tests' backends that record calls, inject failures or break one op on purpose).
 * A backend that computes extends {@link CheckedBackend} instead.
 */
public abstract class ForwardingBackend implements Backend {
    protected final Backend delegate;

    protected ForwardingBackend(Backend delegate) {
        this.delegate = delegate;
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Device device() {
        return delegate.device();
    }

    @Override
    public Storage allocate(long floats, String label) {
        return delegate.allocate(floats, label);
    }

    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        delegate.upload(dst, src, srcOffset);
    }

    @Override
    public void uploadAsync(Tensor dst, float[] src, int srcOffset) {
        delegate.uploadAsync(dst, src, srcOffset);
    }

    @Override
    public void download(float[] dst, int dstOffset, Tensor src) {
        delegate.download(dst, dstOffset, src);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        delegate.copy(dst, src);
    }

    @Override
    public void fill(Tensor dst, float value) {
        delegate.fill(dst, value);
    }

    @Override
    public void synchronize() {
        delegate.synchronize();
    }

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        delegate.gemm(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        delegate.gemmBatched(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        delegate.biasAdd(y, bias);
    }

    @Override
    public void biasGrad(Tensor dBias, Tensor dy) {
        delegate.biasGrad(dBias, dy);
    }

    @Override
    public void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
        delegate.gemmBiasActivation(c, a, b, bias, act, alpha);
    }

    @Override
    public void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha) {
        delegate.biasActivationForward(y, z, bias, act, alpha);
    }

    @Override
    public void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha) {
        delegate.biasActivationBackward(dz, dBias, dy, y, act, alpha);
    }

    @Override
    public void add(Tensor y, Tensor a, Tensor b) {
        delegate.add(y, a, b);
    }

    @Override
    public ConvPlan planConv2d(Conv2dGeometry g) {
        return delegate.planConv2d(g);
    }

    @Override
    public void reserveAsyncUploads(long floats) {
        delegate.reserveAsyncUploads(floats);
    }

    @Override
    public long libraryWorkspaceFloats() {
        return delegate.libraryWorkspaceFloats();
    }

    @Override
    public void useWorkspace(Tensor workspace) {
        delegate.useWorkspace(workspace);
    }

    @Override
    public void conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        delegate.conv2dForward(y, x, w, g);
    }

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        delegate.conv2dBackwardData(dx, dy, w, g);
    }

    @Override
    public void conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        delegate.conv2dBackwardFilter(dw, dy, x, g);
    }

    @Override
    public void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        delegate.maxPool2dForward(y, argmax, x, g);
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Tensor argmax, Pool2dGeometry g) {
        delegate.maxPool2dBackward(dx, dy, x, y, argmax, g);
    }

    @Override
    public void avgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        delegate.avgPool2dForward(y, x, g);
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        delegate.avgPool2dBackward(dx, dy, g);
    }

    @Override
    public void activationForward(Tensor y, Tensor x, Activation act, float alpha) {
        delegate.activationForward(y, x, act, alpha);
    }

    @Override
    public void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        delegate.activationBackward(dx, dy, x, y, act, alpha);
    }

    @Override
    public void softmaxForward(Tensor y, Tensor x, int axis) {
        delegate.softmaxForward(y, x, axis);
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        delegate.softmaxBackward(dx, dy, y, axis);
    }

    @Override
    public void logSoftmaxForward(Tensor y, Tensor x, int axis) {
        delegate.logSoftmaxForward(y, x, axis);
    }

    @Override
    public void logSoftmaxBackward(Tensor dx, Tensor dy, Tensor y, int axis) {
        delegate.logSoftmaxBackward(dx, dy, y, axis);
    }

    @Override
    public void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset) {
        delegate.dropoutForward(y, mask, x, step, rate, seed, offset);
    }

    @Override
    public void dropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        delegate.dropoutBackward(dx, dy, mask);
    }

    @Override
    public float mseLoss(Tensor dPred, Tensor pred, Tensor target) {
        return delegate.mseLoss(dPred, pred, target);
    }

    @Override
    public float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        return delegate.softmaxCrossEntropySparse(probs, dLogits, logits, labels);
    }

    @Override
    public float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        return delegate.softmaxCrossEntropy(probs, dLogits, logits, targets);
    }

    @Override
    public void mseLoss(Tensor loss, Tensor dPred, Tensor pred, Tensor target) {
        delegate.mseLoss(loss, dPred, pred, target);
    }

    @Override
    public void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        delegate.softmaxCrossEntropySparse(loss, probs, dLogits, logits, labels);
    }

    @Override
    public void softmaxCrossEntropy(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        delegate.softmaxCrossEntropy(loss, probs, dLogits, logits, targets);
    }

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, Tensor step, Tensor halt,
                          SgdSettings settings) {
        delegate.sgdUpdate(param, grad, velocity, step, halt, settings);
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                           AdamSettings settings) {
        delegate.adamUpdate(param, grad, m, v, step, halt, settings);
    }

    @Override
    public float sum(Tensor x) {
        return delegate.sum(x);
    }

    @Override
    public void sum(Tensor result, Tensor x) {
        delegate.sum(result, x);
    }

    @Override
    public float mean(Tensor x) {
        return delegate.mean(x);
    }

    @Override
    public void argmax(Tensor indices, Tensor x) {
        delegate.argmax(indices, x);
    }

    @Override
    public int accuracyCount(Tensor scores, Tensor labels) {
        return delegate.accuracyCount(scores, labels);
    }

    @Override
    public void accuracyCount(Tensor count, Tensor scores, Tensor labels) {
        delegate.accuracyCount(count, scores, labels);
    }

    @Override
    public void flagNonFinite(Tensor halt, Tensor x) {
        delegate.flagNonFinite(halt, x);
    }

    @Override
    public void runStep(TrainingStep step, Runnable work) {
        delegate.runStep(step, work);
    }

    @Override
    public void forgetSteps(Object owner) {
        delegate.forgetSteps(owner);
    }

    @Override
    public Numerics numerics() {
        return delegate.numerics();
    }

    @Override
    public boolean writesMaxPoolArgmax(Pool2dGeometry g) {
        return delegate.writesMaxPoolArgmax(g);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
