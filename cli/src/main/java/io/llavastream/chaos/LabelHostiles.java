package io.llavastream.chaos;

import static io.llavastream.chaos.CorpusContext.NEAR_2_31;
import static io.llavastream.chaos.CorpusContext.UNREGISTERED_ID;
import static io.llavastream.chaos.CorpusContext.utf8;

import io.llavastream.pipeline.PngPosts;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.topics.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Hostile records on {@link Topics#LABELS}, which every vision worker reads from the beginning for as long as it
 * runs (docs/labels.md): a record it cannot use is skipped with a warning and counted, and the label keeps its
 * previous definition. None is dead-lettered (every worker re-reads the topic at every start, so a dead letter
 * would repeat), so each is expected to be ignored by the vision workers, who must keep captioning.
 *
 * <p>No record here is a valid label: a valid one would change how the chaos run's images are labelled.
 */
final class LabelHostiles {
    private final CorpusContext c;
    private final List<HostileRecord> out = new ArrayList<>();

    private LabelHostiles(CorpusContext c) {
        this.c = c;
    }

    static List<HostileRecord> build(CorpusContext c) {
        LabelHostiles l = new LabelHostiles(c);
        l.undecodable();
        l.againstTheRules();
        return l.out;
    }

    private void undecodable() {
        add("tombstone", "chaos-none", null, "a tombstone for a label that does not exist: a legal delete");
        add("not-avro", "chaos-text", utf8("label: code, prompt: a screenshot of code"), "YAML instead of Avro");
        add("unknown-schema-id", "chaos-unknown", AvroPrefix.header(UNREGISTERED_ID).raw(utf8("anything")).bytes(),
                "schema id " + UNREGISTERED_ID + ", which the registry does not know");
        add("schema-id-of-post", "chaos-post", c.encode(Topics.POSTS, PngPosts.of(c.postId("labels-post"), "chaos",
                c.freshPng())), "a Post under a label's key");
        add("prompts-count-bomb", "chaos-bomb", AvroPrefix.header(c.schemaId(Topics.LABELS)).string("chaos-bomb")
                .length(NEAR_2_31).raw(utf8("a")).bytes(), "a prompts array claiming 2^31-15 entries");
    }

    private void againstTheRules() {
        add("key-not-its-label", "chaos-key", label("chaos-other", List.of("a large circle"), 0.5),
                "a label under a key other than its name");
        add("threshold-above-one", "chaos-threshold", label("chaos-threshold", List.of("a large circle"), 7.5),
                "threshold 7.5, outside (0, 1]");
        add("no-prompts", "chaos-empty", label("chaos-empty", List.of(), 0.5), "no prompt to embed");
        add("blank-prompt", "chaos-blank", label("chaos-blank", List.of("   "), 0.5), "a blank prompt");
        add("name-with-slash", "chaos/slash", label("chaos/slash", List.of("a large circle"), 0.5),
                "a name with '/', which no topic mapping can carry");
    }

    private byte[] label(String name, List<String> prompts, double threshold) {
        return c.encode(Topics.LABELS, LabelDefinition.newBuilder().setLabel(name).setPrompts(prompts)
                .setThreshold(threshold).setUpdatedAt(Instant.EPOCH).build());
    }

    private void add(String name, String key, byte[] value, String what) {
        out.add(new HostileRecord("labels/" + name, Topics.LABELS.name(), utf8(key), value, null,
                Expectation.ignored("vision"), what + " (skipped and counted by the label reader)"));
    }
}
