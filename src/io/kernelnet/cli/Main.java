package io.kernelnet.cli;

import io.kernelnet.backend.Backends;
import io.kernelnet.train.ProgressBar;
import io.kernelnet.train.StatusLine;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Unmatched;

/**
 * The {@code kernelnet} command: train, evaluate, predict, info, selftest, bench. Each command is a picocli
 * command class declaring its options once; {@code bench} comes from kernelnet-bench.jar when it is on the class
 * path ({@link #BENCH_COMMAND}).
 */
@Command(name = "kernelnet", synopsisSubcommandLabel = "<command>",
        description = "Deep-learning training for Java: the bundled MNIST models on the CPU or CUDA.",
        footer = {"", "Every command takes --help. Exit status: 0 done; 1 a failure while running (corrupt file,"
                + " diverged training, CUDA error); 2 a usage error (unknown command or option, bad value, missing file).%n"})
public final class Main implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    /** The bench commands' class, in kernelnet-bench.jar: built beside kernelnet.jar, not inside it. */
    static final String BENCH_COMMAND = "io.kernelnet.bench.BenchCommand";

    @Mixin
    HelpOption help;

    private final PrintStream out;
    private final String benchCommand;
    private final PrintWriter usageOut;

    Main(PrintStream out) {
        this(out, BENCH_COMMAND);
    }

    Main(PrintStream out, String benchCommand) {
        this.out = out;
        this.benchCommand = benchCommand;
        this.usageOut = new PrintWriter(out, true);
    }

    public static void main(String[] argv) {
        if (ProgressBar.stdoutIsTerminal()) {
            // slf4j-simple writes to System.err as it is at each line: log lines then clear and redraw the bar
            System.setErr(StatusLine.around(System.err));
        }
        System.exit(new Main(System.out).execute(argv, System.err));
    }

    /**
     * Runs a command and returns its exit status; a failure becomes one line on {@code err}, never a stack trace
     * (that goes to the debug log): 2 for a usage error, 1 for anything that fails while running. The one message
     * of more than a line is a failed allocation at build, which lists the memory plan under its first line.
     */
    int execute(String[] argv, PrintStream err) {
        try {
            return run(argv);
        } catch (UsageException e) {
            err.println("kernelnet: " + e.getMessage() + " (kernelnet --help for usage)");
            return 2;
        } catch (Exception e) {
            log.debug("kernelnet {} failed", String.join(" ", argv), e);
            err.println("kernelnet: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            return 1;
        }
    }

    /** Parses {@code argv} and runs the command it names; a usage error is thrown as a {@link UsageException}. */
    int run(String[] argv) throws Exception {
        CommandLine commandLine = commandLine();
        ParseResult parsed;
        try {
            parsed = commandLine.parseArgs(argv);
        } catch (CommandLine.ParameterException e) {
            throw UsageException.of(e);
        }
        Integer helped = CommandLine.executeHelpRequest(parsed); // --help on any command, or `help [command]`
        if (helped != null) {
            usageOut.flush();
            return helped;
        }
        ParseResult leaf = parsed;
        while (leaf.hasSubcommand()) {
            leaf = leaf.subcommand();
        }
        @SuppressWarnings("unchecked")
        Callable<Integer> command = (Callable<Integer>) leaf.commandSpec().userObject();
        try {
            return command.call();
        } catch (CommandLine.ParameterException e) {
            throw UsageException.of(e);
        }
    }

    /** {@code kernelnet} alone: the usage, and status 2 since no command ran. */
    @Override
    public Integer call() {
        commandLine().usage(usageOut);
        return 2;
    }

    private CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(this)
                .addSubcommand(new TrainCommand(out))
                .addSubcommand(new EvaluateCommand(out))
                .addSubcommand(new PredictCommand(out))
                .addSubcommand(new InfoCommand(out))
                .addSubcommand(new SelftestCommand(out))
                .addSubcommand(bench())
                .addSubcommand(new CommandLine.HelpCommand());
        OptionTypes.registerNumbers(commandLine);
        commandLine.setColorScheme(CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        commandLine.setUsageHelpWidth(100);
        commandLine.setOut(usageOut);
        return commandLine;
    }

    /** The bench commands when kernelnet-bench.jar is on the class path, else a command that says how to get them. */
    private Object bench() {
        Class<?> bench;
        try {
            bench = Class.forName(benchCommand);
        } catch (ClassNotFoundException e) {
            return new MissingBench();
        }
        try {
            return bench.getConstructor(PrintStream.class).newInstance(out);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(benchCommand + " cannot be made: " + e, e);
        }
    }

    @Command(name = "info", description = "Java, GPUs, driver, CUDA/cuBLAS/cuDNN versions, or why there are none.")
    static final class InfoCommand extends OutputCommand {
        InfoCommand(PrintStream out) {
            super(out);
        }

        @Override
        public Integer call() {
            out.print(Backends.infoReport());
            return 0;
        }
    }

    /** {@code bench} without kernelnet-bench.jar: one line saying where the benchmarks are. */
    @Command(name = "bench", description = {"Benchmarks: " + MissingBench.WHERE})
    static final class MissingBench implements Callable<Integer> {
        static final String WHERE = "they are in target/kernelnet-bench.jar, which `mvn package` builds beside"
                + " kernelnet.jar; ./kernelnet and the GPU bundle's bin/kernelnet put it on the class path (by hand:"
                + " java -cp target/kernelnet.jar:target/kernelnet-bench.jar io.kernelnet.cli.Main bench ...)";

        @Mixin
        HelpOption help;

        @Unmatched
        List<String> arguments;

        @Override
        public Integer call() {
            throw new IllegalStateException("bench: the benchmarks are not on the class path: " + WHERE);
        }
    }
}
