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
                    + " build).")
    String engine;

    @Option(names = "--tf32", description = "Allow TF32 tensor cores for GEMM on CUDA (off: results match the FP32"
            + " CPU reference to 1e-5).")
    boolean tf32;

    @Option(names = "--deterministic", description = "Bit-identical results run to run on CUDA (no float atomics,"
            + " deterministic cuDNN algorithms); the CPU backends always are.")
    boolean deterministic;

    /** The device and CUDA options asked for, checked before any data is read or device opened. */
    public record Choice(String device, CudaOptions cuda) {
        public Backends.Selection open() {
            return Backends.select(device, cuda);
        }
    }

    /**
     * The device named (or {@code fallback}) and the CUDA options, with CUDA graphs for training steps unless
     * {@code graphs} is false; an unknown device or engine is a usage error of {@code spec}'s command.
     */
    public Choice choose(CommandSpec spec, String fallback, boolean graphs) {
        String d = device == null ? fallback : device;
        try {
            Backends.checkDeviceName(d);
            return new Choice(d, new CudaOptions(Engine.parse(engine), tf32, deterministic, graphs));
        } catch (IllegalArgumentException e) {
            throw UsageException.of(spec, "--" + e.getMessage());
        }
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
