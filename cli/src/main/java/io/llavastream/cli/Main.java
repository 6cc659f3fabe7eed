package io.llavastream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./llava-stream}; each subcommand is its own class. */
@Command(name = "llava-stream", mixinStandardHelpOptions = true, version = "llava-stream 0.1.0",
        description = "Streaming multimodal (LLaVA) inference on Kafka.",
        subcommands = {CaptionCommand.class, EvalCommand.class, BenchCommand.class, ScenesCommand.class,
                TrainCommand.class, TrainAdapterCommand.class, BrokerCommand.class, SubmitCommand.class,
                TailCommand.class, WorkerCommand.class, TopologyCommand.class, DemoCommand.class, ConsoleCommand.class,
                ExportCommand.class, SearchCommand.class, ReplayCommand.class, ChaosCommand.class, LabelsCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }
}
