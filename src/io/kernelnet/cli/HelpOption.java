package io.kernelnet.cli;

import picocli.CommandLine.Option;

/** {@code -h, --help} on every command: that command's usage and options. */
public final class HelpOption {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this command's options and exit.")
    boolean help;
}
