package io.kernelnet.cli;

import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cuda.CudaOptions;
import io.kernelnet.backend.cuda.Engine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Which device computes and how CUDA does: the options of every command that opens a backend. */
public final class DeviceOptions {
    @Option(names = "--device", paramLabel = "auto|cpu|cpu-reference|cuda|cuda:N",
            description = "auto (the default; selftest's is cuda): CUDA when a usable GPU, driver and the built kernels"
                    + " are found, else cpu, saying why; cuda fails with that reason instead; cpu: the fast CPU"
                    + " backend; cpu-reference: the plain-loop reference backend.")
    String device;

    @Option(names = "--engine", paramLabel = "auto|kernels|vendor", defaultValue = "auto",
            description = "Who computes on CUDA: kernels (ours for everything), vendor (cuBLAS for GEMM, cuDNN for"
                    + " convolution and pooling) or auto (ours, and per convolution shape the faster engine timed at"
                    + " build). Default: ${DEFAULT-VALUE}.")
    String engine;

    @Option(names = "--tf32", description = "Allow TF32 tensor cores for GEMM on CUDA (off: results match the FP32"
            + " CPU reference to 1e-5).")
    boolean tf32;

    @Option(names = "--deterministic", description = "Bit-identical results run to run on CUDA (no float atomics,"
            + " deterministic cuDNN algorithms); the CPU backends always are.")
    boolean deterministic;

    /** The device named, or {@code fallback}, checked; a usage error of {@code spec}'s command when unknown. */
    public String device(CommandSpec spec, String fallback) {
        String d = device == null ? fallback : device;
        try {
            Backends.checkDeviceName(d);
        } catch (IllegalArgumentException e) {
            throw UsageException.of(spec, "--" + e.getMessage());
        }
        return d;
    }

    /** The CUDA options asked for, with CUDA graphs for training steps unless {@code graphs} is false. */
    public CudaOptions cudaOptions(CommandSpec spec, boolean graphs) {
        Engine e;
        try {
            e = Engine.parse(engine);
        } catch (IllegalArgumentException x) {
            throw UsageException.of(spec, "--" + x.getMessage());
        }
        return new CudaOptions(e, tf32, deterministic, graphs);
    }

    /** {@code --no-graphs}, for the commands that train. */
    public static final class StepGraphs {
        @Option(names = "--no-graphs", description = "On CUDA, launch every op of every training step instead of"
                + " replaying each full batch's step as a CUDA graph captured once.")
        boolean off;

        public boolean on() {
            return !off;
        }
    }
}
