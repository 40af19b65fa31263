package io.kernelnet.testing;

import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Activation;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.TrainingStep;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;

/**
 * A backend that fails on purpose: at its Nth call of a training op (the ops an MLP step runs: gemm, bias,
 * activations, the fused bias-activation, dropout, the sparse cross-entropy, Adam, sum), or at allocate. Everything
 * else, and everything before the failure, is the wrapped backend's. Training steps run their op calls here every
 * time (no replay of a recorded step, which would skip the calls it counts). Tests use it to check what is left
 * after a failure.
 */
public final class FailingBackend extends ForwardingBackend {
    private final long failAtCall;
    private final boolean failAllocate;
    private long calls;

    private FailingBackend(Backend delegate, long failAtCall, boolean failAllocate) {
        super(delegate);
        this.failAtCall = failAtCall;
        this.failAllocate = failAllocate;
    }

    /** Throws IllegalStateException at the {@code n}th training op call (from 1). */
    public static FailingBackend atOpCall(Backend delegate, long n) {
        return new FailingBackend(delegate, n, false);
    }

    /** Throws IllegalStateException from every allocate, as a device out of memory would. */
    public static FailingBackend onAllocate(Backend delegate) {
        return new FailingBackend(delegate, Long.MAX_VALUE, true);
    }

    /** Training op calls so far, the failing one included. */
    public long calls() {
        return calls;
    }

    private void tick(String op) {
        if (++calls == failAtCall) {
            throw new IllegalStateException("injected failure at op call " + calls + " (" + op + ")");
        }
    }

    @Override
    public void runStep(TrainingStep step, Runnable work) {
        work.run();
    }

    @Override
    public Storage allocate(long floats, String label) {
        if (failAllocate) {
            throw new IllegalStateException("injected failure: allocate '" + label + "' of " + floats + " floats");
        }
        return super.allocate(floats, label);
    }

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        tick("gemm");
        super.gemm(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        tick("biasAdd");
        super.biasAdd(y, bias);
    }

    @Override
    public void biasGrad(Tensor dBias, Tensor dy) {
        tick("biasGrad");
        super.biasGrad(dBias, dy);
    }

    @Override
    public void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
        tick("gemmBiasActivation");
        super.gemmBiasActivation(c, a, b, bias, act, alpha);
    }

    @Override
    public void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha) {
        tick("biasActivationForward");
        super.biasActivationForward(y, z, bias, act, alpha);
    }

    @Override
    public void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha) {
        tick("biasActivationBackward");
        super.biasActivationBackward(dz, dBias, dy, y, act, alpha);
    }

    @Override
    public void activationForward(Tensor y, Tensor x, Activation act, float alpha) {
        tick("activationForward");
        super.activationForward(y, x, act, alpha);
    }

    @Override
    public void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        tick("activationBackward");
        super.activationBackward(dx, dy, x, y, act, alpha);
    }

    @Override
    public void dropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed, long offset) {
        tick("dropoutForward");
        super.dropoutForward(y, mask, x, step, rate, seed, offset);
    }

    @Override
    public void dropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        tick("dropoutBackward");
        super.dropoutBackward(dx, dy, mask);
    }

    @Override
    public void softmaxCrossEntropySparse(Tensor loss, Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        tick("softmaxCrossEntropySparse");
        super.softmaxCrossEntropySparse(loss, probs, dLogits, logits, labels);
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                           AdamSettings settings) {
        tick("adamUpdate");
        super.adamUpdate(param, grad, m, v, step, halt, settings);
    }

    @Override
    public void sum(Tensor result, Tensor x) {
        tick("sum");
        super.sum(result, x);
    }
}
