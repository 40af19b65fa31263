package io.kernelnet.backend.cuda;

/**
 * How a CUDA backend computes: who runs GEMMs and convolutions ({@code --engine}), whether GEMMs may use TF32
 * tensor cores ({@code --tf32}), and whether only run-to-run reproducible algorithms may be used
 * ({@code --deterministic}: no atomics in float sums, deterministic cuDNN algorithms), and whether whole training
 * steps are captured into CUDA graphs and replayed ({@code --no-graphs} turns it off; see StepGraphs).
 */
public record CudaOptions(Engine engine, boolean tf32, boolean deterministic, boolean graphs) {
    /** Engine auto (our GEMM, the faster conv engine per shape), FP32, deterministic off, graphs on. */
    public static final CudaOptions DEFAULT = new CudaOptions(Engine.AUTO, false, false, true);

    public CudaOptions {
        if (engine == null) {
            throw new IllegalArgumentException("cuda options: engine must not be null");
        }
    }

    /** Graphs on. */
    public CudaOptions(Engine engine, boolean tf32, boolean deterministic) {
        this(engine, tf32, deterministic, true);
    }

    public CudaOptions withEngine(Engine value) {
        return new CudaOptions(value, tf32, deterministic, graphs);
    }

    public CudaOptions withTf32(boolean value) {
        return new CudaOptions(engine, value, deterministic, graphs);
    }

    public CudaOptions withDeterministic(boolean value) {
        return new CudaOptions(engine, tf32, value, graphs);
    }

    public CudaOptions withGraphs(boolean value) {
        return new CudaOptions(engine, tf32, deterministic, value);
    }
}
