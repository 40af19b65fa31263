package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cuda.SelfTest;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kernelnet selftest}: every GPU op against the CPU reference. */
@Command(name = "selftest", sortOptions = false, description = "Run every GPU op against the CPU reference.")
final class SelftestCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    DeviceOptions device;

    @Mixin
    HelpOption help;

    private final PrintStream out;

    SelftestCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        Backends.Selection selection = Backends.select(device.device(spec, "cuda"), device.cudaOptions(spec, true));
        out.println("device: " + selection.description());
        try (Backend backend = selection.backend()) {
            return SelfTest.run(backend, out) ? 0 : 1;
        }
    }
}
