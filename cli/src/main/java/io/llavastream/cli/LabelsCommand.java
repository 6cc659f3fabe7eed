package io.llavastream.cli;

import io.llavastream.pipeline.DemoLabels;
import io.llavastream.pipeline.LabelStore;
import io.llavastream.schemas.LabelDefinition;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code labels set|list|remove|demo}: the zero-shot label set on the labels topic (docs/labels.md). The vision
 * workers follow the topic, so a change applies to the images scored after it, without a restart.
 *
 * <p>Reads and writes {@link io.llavastream.topics.Topics#LABELS}.
 */
@Command(name = "labels", mixinStandardHelpOptions = true,
        description = "Manage the zero-shot label set (the compacted labels topic): each image is scored against "
                + "every label's prompts and carries the labels above their threshold; the topology routes posts "
                + "by them.",
        subcommands = {LabelsCommand.Set.class, LabelsCommand.ListLabels.class, LabelsCommand.Remove.class,
                LabelsCommand.Demo.class})
final class LabelsCommand implements Runnable {
    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                "expected a subcommand: set, list, remove or demo");
    }

    /** The Kafka and registry options of every subcommand. */
    static class Connection {
        @Mixin
        KafkaOptions kafka;
        @Mixin
        RegistryOptions registry;
        @Option(names = "--json", description = "Print the result as one JSON object per line.")
        boolean json;

        LabelStore store() {
            return new LabelStore(kafka.load().common(), registry.connect());
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set (add or replace) a label: its name, one or more prompts, its threshold.")
    static final class Set extends Connection implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME", description = "The label's name (letters, digits, '.', '_', "
                + "'-'; at most 64).")
        String name;
        @Option(names = "--prompt", required = true, paramLabel = "TEXT", description = "A text describing the "
                + "label, in the text tower's language; repeat for prompt ensembling (their normalised embeddings "
                + "are averaged).")
        List<String> prompts;
        @Option(names = "--threshold", defaultValue = "0.5", description = "Softmax score in (0, 1] an image needs "
                + "to carry the label (default ${DEFAULT-VALUE}).")
        double threshold;

        @Override
        public Integer call() {
            LabelDefinition d = LabelDefinition.newBuilder().setLabel(name).setPrompts(prompts)
                    .setThreshold(threshold).setUpdatedAt(Instant.now()).build();
            try (LabelStore s = store()) {
                s.set(d);
            }
            if (json) {
                JsonLines.print(JsonLines.object().put("set", name).put("prompts", prompts.size())
                        .put("threshold", threshold));
            } else {
                System.out.println("set label " + name + ": " + prompts.size() + " prompt(s), threshold "
                        + threshold);
            }
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Print the label set in force; with "
            + "--json one object per label: label, prompts, threshold, updated_at.")
    static final class ListLabels extends Connection implements Callable<Integer> {
        @Option(names = "--timeout", defaultValue = "PT30S", description = "Longest wait to read the topic "
                + "(default ${DEFAULT-VALUE}).")
        Duration timeout;

        @Override
        public Integer call() {
            LabelStore.Listing l;
            try (LabelStore s = store()) {
                l = s.list(timeout);
            }
            for (Map.Entry<String, LabelDefinition> e : l.labels().entrySet()) {
                LabelDefinition d = e.getValue();
                if (json) {
                    var n = JsonLines.object().put("label", d.getLabel()).put("threshold", d.getThreshold())
                            .put("updated_at", d.getUpdatedAt().toString());
                    d.getPrompts().forEach(n.putArray("prompts")::add);
                    JsonLines.print(n);
                } else {
                    System.out.printf("%-16s threshold %.2f  %s%n", d.getLabel(), d.getThreshold(), d.getPrompts());
                }
            }
            if (l.skipped() > 0) {
                System.err.println(l.skipped() + " record(s) on the topic are not label definitions; left out");
            }
            if (!json && l.labels().isEmpty()) {
                System.out.println("no labels: images carry none (set some with `labels set` or `labels demo`)");
            }
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove a label (a tombstone).")
    static final class Remove extends Connection implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (LabelStore s = store()) {
                s.remove(name);
            }
            if (json) {
                JsonLines.print(JsonLines.object().put("removed", name));
            } else {
                System.out.println("removed label " + name);
            }
            return 0;
        }
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Set the demo's labels: the shape of the largest object (circle, square, triangle, cross).")
    static final class Demo extends Connection implements Callable<Integer> {
        @Override
        public Integer call() {
            try (LabelStore s = store()) {
                DemoLabels.definitions(Instant.now()).forEach(s::set);
            }
            if (json) {
                DemoLabels.SHAPES.forEach(l -> JsonLines.print(JsonLines.object().put("set", l)
                        .put("prompts", DemoLabels.TEMPLATES.size()).put("threshold", DemoLabels.THRESHOLD)));
            } else {
                System.out.println("set labels " + DemoLabels.SHAPES + " (" + DemoLabels.TEMPLATES.size()
                        + " prompts each, threshold " + DemoLabels.THRESHOLD + ")");
            }
            return 0;
        }
    }
}
