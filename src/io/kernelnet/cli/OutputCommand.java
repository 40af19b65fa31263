package io.kernelnet.cli;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that prints its results to {@link #out} and returns its exit status: its spec (for usage errors naming
 * the command) and {@code --help}, which every command has.
 */
public abstract class OutputCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    @Mixin
    HelpOption help;

    protected final PrintStream out;

    protected OutputCommand(PrintStream out) {
        this.out = out;
    }
}
