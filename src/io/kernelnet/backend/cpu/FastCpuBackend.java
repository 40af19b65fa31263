package io.kernelnet.backend.cpu;

import static io.kernelnet.backend.cpu.ParallelSlices.flat;
import static io.kernelnet.backend.cpu.ParallelSlices.samples;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.ForwardingBackend;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.ShapeChecks;
import io.kernelnet.tensor.Tensor;
import java.util.concurrent.ForkJoinPool;

/**
 * The CPU backend for training: the reference {@link CpuBackend} for every op except the few that dominate a CNN
 * training step. gemm, gemmBatched ({@link FastGemm}) and the three conv2d passes ({@link FastConv}) run in
 * float32 with SIMD-friendly loops on all cores, tested against the reference with a stated error bound
 * (FastCpuBackendTest). Max-pool forward, the elementwise activations and the fused bias-activation run the
 * reference itself on slices of the batch in parallel ({@link ParallelSlices}), so their results are the
 * reference's bit for bit; so are those of every other op, which the reference runs as is.
 */
public final class FastCpuBackend extends ForwardingBackend {
    private final CpuBackend reference;
    private final ScratchPool scratch = new ScratchPool();
    private final FastGemm gemm = new FastGemm(scratch);
    private final FastConv conv = new FastConv(scratch);

    public FastCpuBackend() {
        this(new CpuBackend());
    }

    private FastCpuBackend(CpuBackend reference) {
        super(reference);
        this.reference = reference;
    }

    /** One line for logs and the CLI: which CPU path runs and on how many threads. */
    public String description() {
        // parallel streams run on the common pool plus the calling thread
        int threads = ForkJoinPool.getCommonPoolParallelism() + 1;
        return "cpu (float32 gemm and conv2d on " + threads + " threads; other ops: the reference CpuBackend, max-pool"
                + " forward and activations over batch slices in parallel)";
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
    public void gemmBiasActivation(Tensor c, Tensor a, Tensor b, Tensor bias, Activation act, float alpha) {
        ShapeChecks.gemmBiasActivation("gemmBiasActivation", c, a, b, bias, act, alpha);
        gemm(c, a, false, b, false, 1f, 0f);
        if (act != null) {
            biasActivationForward(c, c, bias, act, alpha);
        } else if (bias != null) {
            reference.biasAdd(c, bias);
        }
    }

    @Override
    public void biasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha) {
        // checked whole first: a slice's refusal would name the slice's shape
        ShapeChecks.biasActivation("biasActivationForward", "y", y, "z", z, bias, act, alpha);
        if (z.size() >= ParallelSlices.MIN_ELEMENTS) {
            ParallelSlices.run(z.dim(0), (from, count) -> reference.biasActivationForward(samples(y, from, count),
                    samples(z, from, count), bias, act, alpha));
        } else {
            reference.biasActivationForward(y, z, bias, act, alpha);
        }
    }

    /**
     * The parallel activation backward with y standing in for z (the ReLUs' y > 0 exactly when z > 0), then the
     * reference bias gradient: the reference's bits.
     */
    @Override
    public void biasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act, float alpha) {
        ShapeChecks.sameShape("biasActivationBackward", "dz", dz, "dy", dy);
        ShapeChecks.biasActivation("biasActivationBackward", "dy", dy, "y", y, dBias, act, alpha);
        activationBackward(dz, dy, y, y, act, alpha);
        if (dBias != null) {
            reference.biasGrad(dBias, dz);
        }
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

}
