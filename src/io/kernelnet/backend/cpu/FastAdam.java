package io.kernelnet.backend.cpu;

import io.kernelnet.backend.AdamEpsilon;
import io.kernelnet.backend.AdamSettings;
import io.kernelnet.backend.StepScalars;
import io.kernelnet.backend.cpu.ScratchPool.Scratch;
import io.kernelnet.backend.cpu.ScratchPool.Use;
import io.kernelnet.tensor.Tensor;

/**
 * Adam/AdamW for {@link FastCpuBackend} in float32, as the CUDA kernel (kernels/optim.cu) computes it, where the
 * reference ({@link CpuOptimizers}) works in double. Per element, with the constants rounded once to float:
 * <pre>
 *   g' = g + l2*p                      (l2 = weightDecay for Adam, 0 for AdamW)
 *   m  = beta1*m + (1 - beta1)*g'
 *   v  = beta2*v + (1 - beta2)*g'*g'
 *   p  = p*shrink - stepSize*m / (sqrt(v*vScale) + epsilon)
 * </pre>
 * with shrink = 1 - lr*weightDecay for AdamW (else 1), and with bc1 = 1 - beta1^t, bc2 = 1 - beta2^t (in double)
 * either Keras' epsilon placement, stepSize = lr*sqrt(bc2)/bc1 and vScale = 1 (exact: the product is v), or
 * PyTorch's, stepSize = lr/bc1 and vScale = 1/bc2. lr and t come from the step scalars. FastOpsTest bounds the
 * difference from the reference by a running error analysis of exactly these operations.
 *
 * <p>The loop runs over blocks copied into arrays indexed from 0: parameters, gradients and moments are slices of
 * one allocation, and C2 vectorizes the loop only over arrays that start at 0 (see {@link RowGemmKernel}).
 */
final class FastAdam {
    /** Elements per block: four blocks of floats stay in the L1 cache. */
    private static final int BLOCK = 1024;

    private final ScratchPool pool;
    private final ParallelSlices parallel;

    FastAdam(ScratchPool pool, ParallelSlices parallel) {
        this.pool = pool;
        this.parallel = parallel;
    }

    void update(Tensor param, Tensor grad, Tensor m, Tensor v, Tensor step, Tensor halt, AdamSettings settings) {
        if (CpuOptimizers.halted(halt)) {
            return;
        }
        long t = CpuOptimizers.adamStep(step);
        double lr = StepScalars.learningRate(step);
        double correction1 = settings.biasCorrection1(t);
        double correction2 = settings.biasCorrection2(t);
        boolean keras = settings.epsilonPlacement() == AdamEpsilon.KERAS;
        float beta1 = settings.beta1();
        float beta2 = settings.beta2();
        float oneMinusBeta1 = (float) (1 - (double) beta1);
        float oneMinusBeta2 = (float) (1 - (double) beta2);
        float epsilon = settings.epsilon();
        float stepSize = (float) (keras ? lr * Math.sqrt(correction2) / correction1 : lr / correction1);
        float vScale = keras ? 1 : (float) (1 / correction2);
        float l2 = settings.decoupled() ? 0 : settings.weightDecay();
        float shrink = settings.decoupled() ? (float) (1 - lr * settings.weightDecay()) : 1;
        int n = (int) param.size();
        parallel.overElements(n, (n + BLOCK - 1) / BLOCK, (from, count) -> {
            Scratch scratch = pool.take();
            try {
                float[][] block = scratch.rows(Use.OPERAND, 4, BLOCK);
                float[] ps = block[0];
                float[] gs = block[1];
                float[] ms = block[2];
                float[] vs = block[3];
                int end = Math.min(n, (from + count) * BLOCK);
                for (int start = from * BLOCK; start < end; start += BLOCK) {
                    int len = Math.min(BLOCK, end - start);
                    copy(param, start, ps, len);
                    copy(grad, start, gs, len);
                    copy(m, start, ms, len);
                    copy(v, start, vs, len);
                    for (int i = 0; i < len; i++) {
                        float p = ps[i];
                        float g = gs[i] + l2 * p;
                        float mi = beta1 * ms[i] + oneMinusBeta1 * g;
                        float vi = beta2 * vs[i] + oneMinusBeta2 * g * g;
                        ms[i] = mi;
                        vs[i] = vi;
                        ps[i] = p * shrink - stepSize * mi / ((float) Math.sqrt(vi * vScale) + epsilon);
                    }
                    store(ps, param, start, len);
                    store(ms, m, start, len);
                    store(vs, v, start, len);
                }
            } finally {
                pool.give(scratch);
            }
        });
    }

    /** block[0, len) = elements [start, start + len) of t. */
    private static void copy(Tensor t, int start, float[] block, int len) {
        System.arraycopy(t.hostArray(), (int) t.offset() + start, block, 0, len);
    }

    /** Elements [start, start + len) of t = block[0, len). */
    private static void store(float[] block, Tensor t, int start, int len) {
        System.arraycopy(block, 0, t.hostArray(), (int) t.offset() + start, len);
    }
}
