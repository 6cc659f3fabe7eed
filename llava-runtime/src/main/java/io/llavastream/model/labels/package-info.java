/**
 * Zero-shot labels on CLIP: a label's prompts embedded by the text tower and averaged (prompt ensembling), and an
 * image embedding scored against every label with a softmax at CLIP's logit scale. No Kafka: the label set comes
 * from the caller (the vision worker reads it from the labels topic).
 */
package io.llavastream.model.labels;
