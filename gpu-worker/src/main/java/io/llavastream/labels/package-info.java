/**
 * Zero-shot labels in the vision worker: {@link io.llavastream.labels.LabelReader} keeps the live label set of the
 * compacted labels topic in a {@link io.llavastream.labels.LabelBook} (the worker's equivalent of a GlobalKTable:
 * every vision worker reads the whole topic, from the beginning, for as long as it runs), which turns each new
 * version of the set into a {@link io.llavastream.model.labels.LabelScorer}; {@link
 * io.llavastream.labels.LabellingMachine} scores every image the vision stage publishes against the current one
 * and puts the labels above threshold on its merge request and embedding. See docs/labels.md.
 */
package io.llavastream.labels;
