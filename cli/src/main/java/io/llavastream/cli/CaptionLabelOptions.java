package io.llavastream.cli;

import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.pipeline.DemoLabels;
import io.llavastream.rules.LabelRules;
import io.llavastream.schemas.LabelDefinition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code caption}'s zero-shot labels: the demo's set ({@code --labels}) and/or labels given on the command line
 * ({@code --label NAME=PROMPT[|PROMPT...]}), checked by the same rules as the labels topic (LabelRules).
 */
final class CaptionLabelOptions {
    @Option(names = "--labels", description = "Score each image against the demo's label set (the shape of the "
            + "largest object; docs/labels.md), as the vision workers do.")
    boolean demo;
    @Option(names = "--label", paramLabel = "NAME=PROMPT[|PROMPT...]", description = "A label of your own: its "
            + "prompts (ensembled) separated by '|'; repeatable.")
    List<String> labels = new ArrayList<>();
    @Option(names = "--label-threshold", defaultValue = "0.5", description = "The score an image needs to carry "
            + "a --label (default ${DEFAULT-VALUE}).")
    double threshold;

    /** The label set to score against; empty when none was asked for. */
    List<LabelPrompts> set() {
        List<LabelPrompts> out = new ArrayList<>(demo ? DemoLabels.prompts(DemoLabels.THRESHOLD) : List.of());
        for (String spec : labels) {
            LabelPrompts p = parse(spec);
            if (out.stream().anyMatch(l -> l.label().equals(p.label()))) {
                throw new IllegalArgumentException("--label '" + spec + "': label '" + p.label() + "' is given twice");
            }
            out.add(p);
        }
        return out;
    }

    private LabelPrompts parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("--label '" + spec + "': expected NAME=PROMPT[|PROMPT...]");
        }
        String name = spec.substring(0, eq).strip();
        List<String> prompts = Arrays.stream(spec.substring(eq + 1).split("\\|", -1)).map(String::strip).toList();
        LabelRules.check(name, LabelDefinition.newBuilder().setLabel(name).setPrompts(prompts)
                .setThreshold(threshold).setUpdatedAt(Instant.EPOCH).build());
        return new LabelPrompts(name, prompts, threshold);
    }
}
