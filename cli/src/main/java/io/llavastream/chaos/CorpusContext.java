package io.llavastream.chaos;

import io.llavastream.rules.ImageTasks;
import io.llavastream.rules.PromptRule;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.schemas.TaskRef;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Iterator;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;

/**
 * What the corpus builders share: the registry (for real schema ids, as any Confluent client would look them
 * up), the model's numbers, fresh scene PNGs that no valid post uses, and ids unique to one run.
 */
final class CorpusContext {
    /** A schema id that no registry hands out in a test or a demo. */
    static final int UNREGISTERED_ID = 987_654;
    /**
     * An array or map count, or a string or bytes length, just under 2^31 and under Avro's own collection and
     * string caps (2^31 - 9, the largest Java array), so that a reader without caps of its own tries to allocate it.
     */
    static final long NEAR_2_31 = Integer.MAX_VALUE - 15L;

    private final SchemaRegistry registry;
    private final ModelFacts model;
    private final String runId;
    private final Iterator<Scene> scenes;

    CorpusContext(SchemaRegistry registry, ModelFacts model, String runId, long sceneSeed) {
        this.registry = registry;
        this.model = model;
        this.runId = runId;
        this.scenes = new SceneGenerator(sceneSeed).scenes(0, 64).iterator();
    }

    ModelFacts model() {
        return model;
    }

    /** "hostile-&lt;run&gt;-&lt;name&gt;": a post id no valid post has. */
    String postId(String name) {
        return "hostile-" + runId + "-" + name;
    }

    /** A PNG of a scene no other record of the run shows (so no cache hit joins it to a valid post). */
    byte[] freshPng() {
        return SceneRenderer.png(scenes.next());
    }

    /** The id the registry gives the value schema of {@code topic} (registering it if needed, idempotent). */
    int schemaId(Topic<?> topic) {
        return registry.register(topic.name() + "-value", SpecificData.get().getSchema(topic.valueType()));
    }

    /** {@code value} in the wire format of {@code topic}. */
    <V extends SpecificRecord> byte[] encode(Topic<V> topic, V value) {
        return topic.valueSerde(registry).serialize(topic.name(), value);
    }

    /** Task 0 of a one-image post {@code postId} with the default prompt, for an image whose hash is {@code sha}. */
    TaskRef task(String postId, String sha) {
        return task(postId, sha, PromptRule.defaults().prompt(null, null));
    }

    TaskRef task(String postId, String sha, String prompt) {
        return TaskRef.newBuilder().setTaskId(ImageTasks.taskId(postId, 0)).setPostId(postId).setSource("chaos")
                .setImageIndex(0).setImageCount(1).setImageSha256(sha).setPrompt(prompt)
                .setReceivedAt(Instant.now()).build();
    }

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
