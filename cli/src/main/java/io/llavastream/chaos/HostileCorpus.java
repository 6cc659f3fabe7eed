package io.llavastream.chaos;

import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.List;

/**
 * At least 30 distinct hostile records across every topic a process reads, each with what it must lead to
 * ({@link Expectation}): tombstones, empty and non-Avro values, a wrong magic byte, unknown schema ids, the schema
 * id of another record type, truncated Avro, string, bytes, array and map length bombs, tensors whose bytes
 * disagree with their shape, features of the wrong shape or another vision tower, a prompt longer than the
 * context, a question over max.question.chars, posts with no, too many or oversized images, corrupt and truncated
 * images, image bombs (a zTXt chunk inflating to 1 GiB, a PNG declaring 100000 x 100000, a GIF on a 65535 x 65535
 * screen), a task whose SHA-256 is not its image's, records near the 16 MiB limit, a null key and a huge key, and
 * label definitions that cannot be read or break the label rules.
 *
 * <p>The bytes are built here and written by a plain {@code KafkaProducer<byte[], byte[]>}
 * ({@link HostileWriter}), as any client could; real schema ids come from the registry, as a Confluent client
 * would look them up.
 */
public final class HostileCorpus {
    /** The topics the corpus covers: every topic a pipeline process or a reader (tail, export, search) reads. */
    public static final List<Topic<?>> READ_TOPICS = List.of(Topics.POSTS, Topics.VISION_REQUESTS,
            Topics.VISION_FEATURES, Topics.MERGE_REQUESTS, Topics.DECODE_REQUESTS, Topics.ANSWERS,
            Topics.IMAGE_EMBEDDINGS, Topics.CAPTIONED_POSTS, Topics.LABELS);

    private HostileCorpus() {
    }

    /**
     * The corpus for one run.
     *
     * @param runId         makes its post ids unique to the run
     * @param applicationId the topology's application id (its repartition topics are named after it)
     */
    public static List<HostileRecord> build(SchemaRegistry registry, ModelFacts model, String runId,
                                            String applicationId) {
        CorpusContext c = new CorpusContext(registry, model, runId, 90_210);
        List<HostileRecord> all = new ArrayList<>();
        all.addAll(PostHostiles.build(c));
        all.addAll(StageHostiles.build(c));
        all.addAll(TopologyHostiles.build(c, applicationId));
        all.addAll(LabelHostiles.build(c));
        return List.copyOf(all);
    }
}
