package io.kernelnet.bench;

import io.kernelnet.backend.cuda.Availability;
import io.kernelnet.backend.cuda.CudaRuntime;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What the stand-alone GPU benches (GemmBench, ConvBench, EpilogueBench) read from their command line, {@code
 * --runs N} (default 30), {@code --warmup N} (5), {@code --out FILE} and one option of their own (the sizes, the
 * batches), and the device they need.
 *
 * @param own the value of the bench's own option, its default when not given
 */
record GpuBenchArgs(String own, int runs, int warmup, Path out) {
    /** Refuses an unknown argument naming {@code bench} and its options; {@code ownUsage} is "--sizes N,N" or alike. */
    static GpuBenchArgs parse(String bench, String[] args, String ownOption, String ownDefault, String ownUsage) {
        String own = ownDefault;
        int runs = 30;
        int warmup = 5;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals(ownOption)) {
                own = args[++i];
            } else {
                switch (arg) {
                    case "--runs" -> runs = Integer.parseInt(args[++i]);
                    case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                    case "--out" -> out = Path.of(args[++i]);
                    default -> throw new IllegalArgumentException(bench + ": unknown argument " + arg + " (" + ownUsage
                            + ", --runs N, --warmup N, --out FILE)");
                }
            }
        }
        return new GpuBenchArgs(own, runs, warmup, out);
    }

    /** The bench's own option as a comma-separated list of whole numbers. */
    int[] ownInts() {
        return Arrays.stream(own.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    /**
     * The GPU's availability; exits with status 2 where no GPU runs our kernels, and refuses the emulated device (its
     * times are not a GPU's).
     */
    static Availability requireGpu(String bench) {
        Availability cuda = CudaRuntime.availability();
        if (!cuda.usable()) {
            System.err.println(bench + ": no usable GPU: " + cuda.reason());
            System.exit(2);
        }
        cuda.refuseTimingOnEmulatedDevice(bench);
        return cuda;
    }
}
