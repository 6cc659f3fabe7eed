package io.llavastream.model.labels;

import java.util.List;

/**
 * One label of a label set: its name, the prompts that describe it, and the softmax score an image needs to carry it.
 *
 * @param threshold in (0, 1]: an image carries the label when its softmax score over the set is at least this
 */
public record LabelPrompts(String label, List<String> prompts, double threshold) {
    public LabelPrompts {
        if (label == null || label.isBlank()) {
            throw new IllegalArgumentException("a label needs a non-blank name, got '" + label + "'");
        }
        if (prompts == null || prompts.isEmpty() || prompts.stream().anyMatch(p -> p == null || p.isBlank())) {
            throw new IllegalArgumentException("label '" + label + "' needs one or more non-blank prompts, got "
                    + prompts);
        }
        if (!(threshold > 0 && threshold <= 1)) {
            throw new IllegalArgumentException("label '" + label + "' threshold must be in (0, 1], got " + threshold);
        }
        prompts = List.copyOf(prompts);
    }
}
