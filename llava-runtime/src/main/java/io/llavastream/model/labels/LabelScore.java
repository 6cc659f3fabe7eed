package io.llavastream.model.labels;

/** An image's softmax score for one label, in [0, 1]; the scores of one image over its label set sum to 1. */
public record LabelScore(String label, float score) {
}
