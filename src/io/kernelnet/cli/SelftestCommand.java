package io.kernelnet.cli;

import io.kernelnet.backend.Backend;
import io.kernelnet.backend.Backends;
import io.kernelnet.backend.cuda.SelfTest;
import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code kernelnet selftest}: every GPU op against the CPU reference. */
@Command(name = "selftest", sortOptions = false, showDefaultValues = true,
        description = "Run every GPU op against the CPU reference.")
final class SelftestCommand extends OutputCommand {
    @Mixin
    DeviceOptions device;

    SelftestCommand(PrintStream out) {
        super(out);
    }

    @Override
    public Integer call() {
        Backends.Selection selection = device.choose(spec, "cuda", true).open();
        out.println("device: " + selection.description());
        try (Backend backend = selection.backend()) {
            return SelfTest.run(backend, out) ? 0 : 1;
        }
    }
}
