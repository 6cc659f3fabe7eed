package io.llavastream.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bench}: without a subcommand, the pipeline benchmark in one run (Kafka pipeline against in-process,
 * decode at concurrency 1 against 32, one stage hop of a LLaVA-1.5-7B-sized payload, the bytes per post per hop);
 * each part is also a subcommand, as are {@code bench model} and {@code bench scale} (the scaling simulation, not
 * in the default run).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks. Without a subcommand: pipeline, decode, hop and bytes in one run, on an embedded "
                + "broker.",
        subcommands = {BenchModelCommand.class, BenchDecodeCommand.class, BenchHopCommand.class,
                BenchPipelineCommand.class, BenchBytesCommand.class, BenchScaleCommand.class})
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--json", description = "One JSON object per line from each part.")
    boolean json;
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        int worst = 0;
        for (String part : List.of("pipeline", "decode", "hop", "bytes")) {
            List<String> args = new ArrayList<>(List.of(part));
            if (json) {
                args.add("--json");
            } else {
                System.out.println("== bench " + part);
            }
            CommandLine sub = spec.commandLine().getSubcommands().get(part);
            worst = Math.max(worst, sub.execute(args.subList(1, args.size()).toArray(String[]::new)));
        }
        return worst;
    }
}
