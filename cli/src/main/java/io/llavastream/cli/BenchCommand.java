package io.llavastream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bench}: benchmarks; {@code bench model} times the model runtime's stages. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchModelCommand.class, BenchDecodeCommand.class, BenchHopCommand.class,
                BenchPipelineCommand.class})
final class BenchCommand implements Runnable {
    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
