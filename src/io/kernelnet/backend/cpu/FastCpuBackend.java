package io.kernelnet.backend.cpu;

import static io.kernelnet.backend.cpu.ParallelSlices.flat;
import static io.kernelnet.backend.cpu.ParallelSlices.samples;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamStep;
import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.SgdStep;
import io.kernelnet.tensor.Device;
import io.kernelnet.tensor.Storage;
import io.kernelnet.tensor.Tensor;
import java.util.concurrent.ForkJoinPool;

/**
 * The CPU backend for training: the reference {@link CpuBackend} for every op except the few that dominate a CNN
 * training step. gemm, gemmBatched ({@link FastGemm}) and the three conv2d passes ({@link FastConv}) run in
 * float32 with SIMD-friendly loops on all cores, tested against the reference with a stated error bound
 * (FastCpuBackendTest). Max-pool forward and the elementwise activations run the reference itself on slices of
 * the batch in parallel ({@link ParallelSlices}), so their results are the reference's bit for bit; so are those
 * of every other op, which the reference runs as is.
 */
public final class FastCpuBackend implements Backend {
    private final CpuBackend reference = new CpuBackend();
    private final ScratchPool scratch = new ScratchPool();
    private final FastGemm gemm = new FastGemm(scratch);
    private final FastConv conv = new FastConv(scratch);

    /** The same device and results as the reference where not overridden, hence the same name. */
    @Override
    public String name() {
        return reference.name();
    }

    /** One line for logs and the CLI: which CPU path runs and on how many threads. */
    public String description() {
        // parallel streams run on the common pool plus the calling thread
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        return "cpu (float32 gemm and conv2d on " + threads + " threads; other ops: the reference CpuBackend, max-pool"
                + " forward and activations over batch slices in parallel)";
    }

    @Override
    public Device device() {
        return reference.device();
    }

    @Override
    public Storage allocate(long floats, String label) {
        return reference.allocate(floats, label);
    }

    @Override
    public void upload(Tensor dst, float[] src, int srcOffset) {
        reference.upload(dst, src, srcOffset);
    }

    @Override
    public void download(float[] dst, int dstOffset, Tensor src) {
        reference.download(dst, dstOffset, src);
    }

    @Override
    public void copy(Tensor dst, Tensor src) {
        reference.copy(dst, src);
    }

    @Override
    public void fill(Tensor dst, float value) {
        reference.fill(dst, value);
    }

    @Override
    public void synchronize() {
        reference.synchronize();
    }

    @Override
    public void gemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        gemm.gemm(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void gemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta) {
        gemm.gemmBatched(c, a, transA, b, transB, alpha, beta);
    }

    @Override
    public void biasAdd(Tensor y, Tensor bias) {
        reference.biasAdd(y, bias);
    }

    @Override
    public void biasGrad(Tensor dBias, Tensor dy) {
        reference.biasGrad(dBias, dy);
    }

    @Override
    public void add(Tensor y, Tensor a, Tensor b) {
        reference.add(y, a, b);
    }

    @Override
    public void conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        conv.forward(y, x, w, g);
    }

    @Override
    public void conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        conv.backwardData(dx, dy, w, g);
    }

    @Override
    public void conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        conv.backwardFilter(dw, dy, x, g);
    }

    @Override
    public void maxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        if (ParallelSlices.allHave(g.inputShape(), x) && ParallelSlices.allHave(g.outputShape(), y, argmax)
                && x.size() >= ParallelSlices.MIN_ELEMENTS) {
            ParallelSlices.run(g.n(), (from, count) -> reference.maxPool2dForward(samples(y, from, count),
                    samples(argmax, from, count), samples(x, from, count), g.withBatch(count)));
        } else {
            reference.maxPool2dForward(y, argmax, x, g);
        }
    }

    @Override
    public void maxPool2dBackward(Tensor dx, Tensor dy, Tensor argmax, Pool2dGeometry g) {
        reference.maxPool2dBackward(dx, dy, argmax, g);
    }

    @Override
    public void avgPool2dForward(Tensor y, Tensor x, Pool2dGeometry g) {
        reference.avgPool2dForward(y, x, g);
    }

    @Override
    public void avgPool2dBackward(Tensor dx, Tensor dy, Pool2dGeometry g) {
        reference.avgPool2dBackward(dx, dy, g);
    }

    @Override
    public void activationForward(Tensor y, Tensor x, Activation act, float alpha) {
        if (x != null && ParallelSlices.allHave(x.shape(), y) && x.size() >= ParallelSlices.MIN_ELEMENTS) {
            ParallelSlices.run((int) x.size(), (from, count) ->
                    reference.activationForward(flat(y, from, count), flat(x, from, count), act, alpha));
        } else {
            reference.activationForward(y, x, act, alpha);
        }
    }

    @Override
    public void activationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        if (dy != null && ParallelSlices.allHave(dy.shape(), dx, x, y) && dy.size() >= ParallelSlices.MIN_ELEMENTS) {
            ParallelSlices.run((int) dy.size(), (from, count) -> reference.activationBackward(flat(dx, from, count),
                    flat(dy, from, count), flat(x, from, count), flat(y, from, count), act, alpha));
        } else {
            reference.activationBackward(dx, dy, x, y, act, alpha);
        }
    }

    @Override
    public void softmaxForward(Tensor y, Tensor x) {
        reference.softmaxForward(y, x);
    }

    @Override
    public void softmaxBackward(Tensor dx, Tensor dy, Tensor y) {
        reference.softmaxBackward(dx, dy, y);
    }

    @Override
    public void logSoftmaxForward(Tensor y, Tensor x) {
        reference.logSoftmaxForward(y, x);
    }

    @Override
    public void logSoftmaxBackward(Tensor dx, Tensor dy, Tensor y) {
        reference.logSoftmaxBackward(dx, dy, y);
    }

    @Override
    public void dropoutForward(Tensor y, Tensor mask, Tensor x, float rate, long seed, long offset) {
        reference.dropoutForward(y, mask, x, rate, seed, offset);
    }

    @Override
    public void dropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        reference.dropoutBackward(dx, dy, mask);
    }

    @Override
    public float mseLoss(Tensor dPred, Tensor pred, Tensor target) {
        return reference.mseLoss(dPred, pred, target);
    }

    @Override
    public float softmaxCrossEntropySparse(Tensor probs, Tensor dLogits, Tensor logits, Tensor labels) {
        return reference.softmaxCrossEntropySparse(probs, dLogits, logits, labels);
    }

    @Override
    public float softmaxCrossEntropy(Tensor probs, Tensor dLogits, Tensor logits, Tensor targets) {
        return reference.softmaxCrossEntropy(probs, dLogits, logits, targets);
    }

    @Override
    public void sgdUpdate(Tensor param, Tensor grad, Tensor velocity, SgdStep step) {
        reference.sgdUpdate(param, grad, velocity, step);
    }

    @Override
    public void adamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, AdamStep step) {
        reference.adamUpdate(param, grad, m, v, step);
    }

    @Override
    public float sum(Tensor x) {
        return reference.sum(x);
    }

    @Override
    public float mean(Tensor x) {
        return reference.mean(x);
    }

    @Override
    public void argmax(Tensor indices, Tensor x) {
        reference.argmax(indices, x);
    }

    @Override
    public int accuracyCount(Tensor scores, Tensor labels) {
        return reference.accuracyCount(scores, labels);
    }

    @Override
    public void close() {
        reference.close();
    }
}
