package io.kernelnet.backend.cpu;

import static io.kernelnet.backend.cpu.ParallelSlices.flat;
import static io.kernelnet.backend.cpu.ParallelSlices.samples;

import io.kernelnet.backend.Activation;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.Conv2dGeometry;
import io.kernelnet.backend.Pool2dGeometry;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.tensor.Tensor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CPU backend for training: a subclass of the reference {@link CpuBackend} that keeps every op but those that
 * dominate the seed models' training steps, which run split over all cores ({@link CpuWorkers}, from the sizes in
 * {@link ParallelSlices}) and never depend on how they are split.
 * <ul>
 *   <li>gemm, gemmBatched ({@link FastGemm}) and the three conv2d passes ({@link FastConv}) in float32 on a
 *       {@link GemmKernel}: the Vector API one where the JVM has jdk.incubator.vector, else the plain-Java one;
 *       tested against the reference with a stated error bound (FastCpuBackendTest);</li>
 *   <li>Adam in float32 ({@link FastAdam}, as the CUDA kernel), within a running error bound of the reference's
 *       double; the sum in four partial sums ({@link FastSum}), within its rounding (FastOpsTest);</li>
 *   <li>ReLU with or without its bias ({@link FastRelu}), the 2x2 max-pool ({@link FastMaxPool}) and dropout
 *       ({@link FastDropout}) in loops of their own, and the other activations, max-pools and dropout's backward as
 *       the reference on slices: the reference's bits.</li>
 * </ul>
 */
public final class FastCpuBackend extends CpuBackend {
    private static final Logger log = LoggerFactory.getLogger(FastCpuBackend.class);
    /** Whether the JVM runs with --add-modules jdk.incubator.vector, which the fast GEMM kernel needs. */
    static final boolean VECTOR_API = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    static {
        if (!VECTOR_API) {
            log.warn("cpu backend: the JVM runs without jdk.incubator.vector, so matrix products and convolutions use"
                    + " the plain-Java kernel, several times slower (java --add-modules jdk.incubator.vector: the"
                    + " kernelnet launchers pass it)");
        }
    }

    private final GemmKernel kernel;
    private final ParallelSlices parallel;
    private final FastGemm gemm;
    private final FastConv conv;
    private final FastAdam adam;

    public FastCpuBackend() {
        this(fastestKernel(), ParallelSlices.DEFAULT);
    }

    /** With a given GEMM kernel and parallel thresholds: tests run each kernel and each branch. */
    FastCpuBackend(GemmKernel kernel, ParallelSlices parallel) {
        this.kernel = kernel;
        this.parallel = parallel;
        ScratchPool scratch = new ScratchPool();
        this.gemm = new FastGemm(kernel, scratch, parallel);
        this.conv = new FastConv(kernel, scratch, parallel);
        this.adam = new FastAdam(scratch, parallel);
    }

    /** The Vector API kernel where the JVM has the module, else the plain-Java one. */
    static GemmKernel fastestKernel() {
        return VECTOR_API ? new VectorGemmKernel() : new RowGemmKernel();
    }

    /** One line for logs and the CLI: which CPU path runs and on how many threads. */
    public String description() {
        return "cpu (float32 gemm and conv2d on " + CpuWorkers.COMMON.threads() + " threads, " + kernel.description()
                + "; Adam, dropout, ReLU, max-pool on all threads; other ops: the reference CpuBackend)";
    }

    @Override
    protected void doGemm(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha, float beta,
                          int m, int n, int k) {
        gemm.gemm(c, a, transA, b, transB, alpha, beta, m, n, k);
    }

    @Override
    protected void doGemmBatched(Tensor c, Tensor a, boolean transA, Tensor b, boolean transB, float alpha,
                                 float beta, int batch, int m, int n, int k) {
        gemm.gemmBatched(c, a, transA, b, transB, alpha, beta, batch, m, n, k);
    }

    @Override
    protected void doConv2dForward(Tensor y, Tensor x, Tensor w, Conv2dGeometry g) {
        conv.forward(y, x, w, g);
    }

    @Override
    protected void doConv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dGeometry g) {
        conv.backwardData(dx, dy, w, g);
    }

    @Override
    protected void doConv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dGeometry g) {
        conv.backwardFilter(dw, dy, x, g);
    }

    @Override
    protected void doMaxPool2dForward(Tensor y, Tensor argmax, Tensor x, Pool2dGeometry g) {
        boolean unrolled = FastMaxPool.handles(g);
        parallel.overElements(x.size(), g.n(), (from, count) -> {
            Tensor ys = samples(y, from, count);
            Tensor argmaxes = samples(argmax, from, count);
            Tensor xs = samples(x, from, count);
            if (unrolled) {
                FastMaxPool.forward(ys, argmaxes, xs, g.withBatch(count));
            } else {
                super.doMaxPool2dForward(ys, argmaxes, xs, g.withBatch(count));
            }
        });
    }

    @Override
    protected void doBiasActivationForward(Tensor y, Tensor z, Tensor bias, Activation act, float alpha,
                                           int samples, int channels, int inner) {
        parallel.overElements(z.size(), samples, (from, count) -> {
            if (act == Activation.RELU) {
                FastRelu.biasForward(samples(y, from, count), samples(z, from, count), bias, channels, inner);
            } else {
                super.doBiasActivationForward(samples(y, from, count), samples(z, from, count), bias, act, alpha,
                        count, channels, inner);
            }
        });
    }

    /**
     * For ReLU with a bias, {@link FastRelu#biasBackward} over slices of the channels; otherwise the parallel
     * activation backward with y standing in for z (the ReLUs' y > 0 exactly when z > 0), then the reference bias
     * gradient. Either way the reference's bits.
     */
    @Override
    protected void doBiasActivationBackward(Tensor dz, Tensor dBias, Tensor dy, Tensor y, Activation act,
                                            float alpha, int samples, int channels, int inner) {
        if (act == Activation.RELU && dBias != null) {
            parallel.overElements(dy.size(), channels, (from, count) ->
                    FastRelu.biasBackward(dz, dBias, dy, y, samples, channels, inner, from, count));
            return;
        }
        doActivationBackward(dz, dy, y, y, act, alpha);
        if (dBias != null) {
            doBiasGrad(dBias, dz, samples, channels, inner);
        }
    }

    @Override
    protected void doActivationForward(Tensor y, Tensor x, Activation act, float alpha) {
        parallel.overElements(x.size(), (int) x.size(), (from, count) ->
                super.doActivationForward(flat(y, from, count), flat(x, from, count), act, alpha));
    }

    /** The tensor this activation does not read (x or y) may be null: it is sliced only when present. */
    @Override
    protected void doActivationBackward(Tensor dx, Tensor dy, Tensor x, Tensor y, Activation act, float alpha) {
        parallel.overElements(dy.size(), (int) dy.size(), (from, count) -> {
            if (act == Activation.RELU) {
                FastRelu.backward(flat(dx, from, count), flat(dy, from, count), flat(x, from, count));
            } else {
                super.doActivationBackward(flat(dx, from, count), flat(dy, from, count), flatOrNull(x, from, count),
                        flatOrNull(y, from, count), act, alpha);
            }
        });
    }

    private static Tensor flatOrNull(Tensor t, int from, int count) {
        return t == null ? null : flat(t, from, count);
    }

    @Override
    protected void doDropoutForward(Tensor y, Tensor mask, Tensor x, Tensor step, float rate, long seed,
                                    long offset) {
        long counter = StepScalars.generatorOffset(step) + offset;
        int n = (int) x.size();
        // slices of whole Philox blocks; a block's ten rounds make an element cost about four of a plain
        // elementwise op
        parallel.overElements(4L * n, (n + 3) / 4, (from, count) ->
                FastDropout.forward(y, mask, x, rate, seed, counter, from, count));
    }

    @Override
    protected void doDropoutBackward(Tensor dx, Tensor dy, Tensor mask) {
        parallel.overElements(dy.size(), (int) dy.size(), (from, count) ->
                super.doDropoutBackward(flat(dx, from, count), flat(dy, from, count), flat(mask, from, count)));
    }

    /** In float32 ({@link FastAdam}), where the reference works in double. */
    @Override
    protected void doAdamUpdate(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt,
                                AdamSettings settings) {
        adam.update(param, grad, m, v, step, halt, settings);
    }

    /** Four partial sums side by side ({@link FastSum}): not the reference's bits, within its rounding. */
    @Override
    protected float doSum(Tensor x) {
        return (float) FastSum.of(x);
    }
}
