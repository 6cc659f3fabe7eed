package io.llavastream.pipeline;

import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.schemas.LabelDefinition;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's label set: the shape of the scene's largest object (circle, square, triangle, cross), each described
 * by prompts in the demo tokenizer's 47 words that no training caption contains (docs/labels.md): captions always
 * name an object as "a SIZE COLOUR SHAPE PLACE", so "a large circle" and "a red circle" are word sequences the text
 * tower never saw (LabelPromptsUnseenTest checks this against every caption the scene generator can write).
 * {@code demo} installs it; {@code labels set} replaces any of it.
 */
public final class DemoLabels {
    /** The labels, in the order of {@code io.llavastream.scenes.ShapeKind}. */
    public static final List<String> SHAPES = List.of("circle", "square", "triangle", "cross");
    /** Each label's prompt templates; {} is the shape's word. */
    public static final List<String> TEMPLATES = List.of("a large {}", "a small {}", "a red {}", "a green {}",
            "a blue {}", "a yellow {}", "a orange {}", "a purple {}");
    /**
     * The softmax score a label needs: above one half, so that an image carries at most one shape, and only when
     * its shape is clear (docs/labels.md, "Accuracy": 99% of held-out scenes reach it; LabelAccuracyTest: at least
     * 95%).
     */
    public static final double THRESHOLD = 0.5;

    private DemoLabels() {
    }

    /** The prompts of one shape. */
    public static List<String> prompts(String shape) {
        List<String> out = new ArrayList<>(TEMPLATES.size());
        for (String t : TEMPLATES) {
            out.add(t.replace("{}", shape));
        }
        return out;
    }

    /** The demo's set as the scorer takes it, every label at {@code threshold}. */
    public static List<LabelPrompts> prompts(double threshold) {
        return SHAPES.stream().map(s -> new LabelPrompts(s, prompts(s), threshold)).toList();
    }

    /** The label records of the demo's set. */
    public static List<LabelDefinition> definitions(Instant now) {
        List<LabelDefinition> out = new ArrayList<>();
        for (String s : SHAPES) {
            out.add(LabelDefinition.newBuilder().setLabel(s).setPrompts(prompts(s)).setThreshold(THRESHOLD)
                    .setUpdatedAt(now).build());
        }
        return out;
    }
}
