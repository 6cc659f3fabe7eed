package io.llavastream.rules;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The pipeline's stages. {@link #id()} names a worker's consumer group suffix, its {@code --stage} value and the
 * {@code stage} field of the dead letters it writes.
 */
public enum StageName {
    /** The Kafka Streams routing topology: validation, splitting, the vision cache, assembly. */
    TOPOLOGY,
    /** CLIP vision tower: pixels to patch features (Zv) and the pooled image embedding. */
    VISION,
    /** Projector and token merge: Zv to Hv, scattered into the prompt's embeddings. */
    MERGE,
    /** The LLaMA decoder with continuous batching. */
    DECODE,
    /** A re-run of a posts range with another model, in one process. */
    REPLAY;

    /** The three model stages a worker can run, in pipeline order. */
    public static final List<StageName> WORKER_STAGES = List.of(VISION, MERGE, DECODE);

    /** Lower case: "vision", "merge", "decode", ... */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The worker stage called {@code id}; an error naming the value and the stages otherwise. */
    public static StageName worker(String id) {
        return WORKER_STAGES.stream().filter(s -> s.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("stage must be one of "
                        + WORKER_STAGES.stream().map(StageName::id).toList() + ", got " + id));
    }

    /** The worker stages' ids, for messages and option candidates. */
    public static List<String> workerIds() {
        return Arrays.stream(values()).filter(WORKER_STAGES::contains).map(StageName::id).toList();
    }
}
