package io.llavastream.topics;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.VisionFeatures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.NewTopic;

/** The pipeline's topics. */
public final class Topics {
    /** Largest record, in bytes: a LLaVA-1.5-7B Hv in fp16 is 4.7 MB; images are capped lower by the topology. */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;
    private static final Map<String, String> LARGE = Map.of("max.message.bytes", Integer.toString(MAX_RECORD_BYTES));
    private static final Map<String, String> COMPACTED_LARGE = Map.of("max.message.bytes",
            Integer.toString(MAX_RECORD_BYTES), "cleanup.policy", "compact");

    /** Input: crawled posts with their images, keyed by post id. */
    public static final Topic<Post> POSTS = new Topic<>("llava.posts", 6, LARGE, Post.class);
    /** Images the vision stage must encode (vision-cache misses), keyed by task id. */
    public static final Topic<ImageTask> VISION_REQUESTS = new Topic<>("llava.vision-requests", 6, LARGE,
            ImageTask.class);
    /** The vision cache: features by "<sha256>|<vision model id>", compacted. */
    public static final Topic<VisionFeatures> VISION_FEATURES = new Topic<>("llava.vision-features", 6,
            COMPACTED_LARGE, VisionFeatures.class);
    /** Features joined back to their task: the merge stage's input, keyed by task id. */
    public static final Topic<MergeRequest> MERGE_REQUESTS = new Topic<>("llava.merge-requests", 6, LARGE,
            MergeRequest.class);
    /** Merged prompts: the decode stage's input, keyed by task id. */
    public static final Topic<DecodeRequest> DECODE_REQUESTS = new Topic<>("llava.decode-requests", 6, LARGE,
            DecodeRequest.class);
    /** CLIP image embeddings for text-to-image search, by "<sha256>|<model id>", compacted. */
    public static final Topic<ImageEmbedding> IMAGE_EMBEDDINGS = new Topic<>("llava.image-embeddings", 6,
            COMPACTED_LARGE, ImageEmbedding.class);
    /** One answer per image, keyed by task id. */
    public static final Topic<Answer> ANSWERS = new Topic<>("llava.answers", 6, Map.of(), Answer.class);
    /**
     * Answers as they are generated, one record per decode step's text delta, keyed by task id: a best-effort
     * preview written outside the decode stage's transaction (so readers see it before the answer commits, and a
     * crash may repeat a stream under a new stream id). Kept one hour; {@link #ANSWERS} is the exactly-once truth.
     */
    public static final Topic<AnswerToken> ANSWER_TOKENS = new Topic<>("llava.answer-tokens", 6,
            Map.of("retention.ms", Long.toString(TimeUnit.HOURS.toMillis(1))), AnswerToken.class);
    /** Posts with every image answered, keyed by post id. */
    public static final Topic<CaptionedPost> CAPTIONED_POSTS = new Topic<>("llava.captioned-posts", 6, Map.of(),
            CaptionedPost.class);
    /**
     * The zero-shot label set: one record per label, keyed by the label's name, compacted (a tombstone removes the
     * label). One partition, so that every reader sees the changes in one order. The vision worker scores every
     * image against the live set (docs/labels.md).
     */
    public static final Topic<LabelDefinition> LABELS = new Topic<>("llava.labels", 1,
            Map.of("cleanup.policy", "compact"), LabelDefinition.class);
    /** Captioned posts with an image labelled {@code circle} (the demo's label set), keyed by post id. */
    public static final Topic<CaptionedPost> LABELED_POSTS_CIRCLE = labeledPosts("circle");
    /** Captioned posts with an image labelled {@code square}, keyed by post id. */
    public static final Topic<CaptionedPost> LABELED_POSTS_SQUARE = labeledPosts("square");
    /** Captioned posts with an image labelled {@code triangle}, keyed by post id. */
    public static final Topic<CaptionedPost> LABELED_POSTS_TRIANGLE = labeledPosts("triangle");
    /** Captioned posts with an image labelled {@code cross}, keyed by post id. */
    public static final Topic<CaptionedPost> LABELED_POSTS_CROSS = labeledPosts("cross");
    /** Captioned posts that carry no routed label: the topology's default {@code label.default.topic}. */
    public static final Topic<CaptionedPost> UNLABELED_POSTS = new Topic<>("llava.unlabeled-posts", 6, Map.of(),
            CaptionedPost.class);
    /** The topics of the demo's default label mapping (label.topics), label by label. */
    public static final Map<String, Topic<CaptionedPost>> DEMO_LABEL_TOPICS = Map.of("circle", LABELED_POSTS_CIRCLE,
            "square", LABELED_POSTS_SQUARE, "triangle", LABELED_POSTS_TRIANGLE, "cross", LABELED_POSTS_CROSS);

    /** Records a stage refused, with their original bytes and the reason. */
    public static final Topic<DeadLetter> DEAD_LETTERS = new Topic<>("llava.dead-letters", 1, LARGE,
            DeadLetter.class);

    /**
     * Answers of a replay with another model version, keyed "<model id>|<task id>": a second set beside the live
     * answers, which stay untouched.
     */
    public static final Topic<Answer> REPLAY_ANSWERS = new Topic<>("llava.replay-answers", 6, Map.of(), Answer.class);
    /** `bench hop`: LLaVA-1.5-7B-sized feature payloads for measuring one stage hop, keyed by sequence number. */
    public static final Topic<VisionFeatures> BENCH_HOPS = new Topic<>("llava.bench-hops", 1, LARGE,
            VisionFeatures.class);

    /**
     * Partitions of each {@code bench scale} topic: 12, so that 1, 2, 3, 4 and 6 workers of a stage each own the same
     * number of partitions. With the pipeline's 6, four workers would own 2, 2, 1 and 1, and the two busiest would
     * cap the stage at 3x one worker.
     */
    public static final int BENCH_SCALE_PARTITIONS = 12;
    /** `bench scale` (a simulation): images for the simulated vision stage, keyed by task id. */
    public static final Topic<ImageTask> BENCH_SCALE_VISION_REQUESTS = new Topic<>(
            "llava.bench-scale.vision-requests", BENCH_SCALE_PARTITIONS, LARGE, ImageTask.class);
    /** `bench scale`: the simulated vision stage's cache writes (Zv, 576x1024 fp16), keyed by cache key. */
    public static final Topic<VisionFeatures> BENCH_SCALE_VISION_FEATURES = new Topic<>(
            "llava.bench-scale.vision-features", BENCH_SCALE_PARTITIONS, COMPACTED_LARGE, VisionFeatures.class);
    /** `bench scale`: features joined to their task, the simulated merge stage's input, keyed by task id. */
    public static final Topic<MergeRequest> BENCH_SCALE_MERGE_REQUESTS = new Topic<>(
            "llava.bench-scale.merge-requests", BENCH_SCALE_PARTITIONS, LARGE, MergeRequest.class);
    /** `bench scale`: the simulated merge stage's output (Hv, 576x4096 fp16), keyed by task id. */
    public static final Topic<DecodeRequest> BENCH_SCALE_DECODE_REQUESTS = new Topic<>(
            "llava.bench-scale.decode-requests", BENCH_SCALE_PARTITIONS, LARGE, DecodeRequest.class);
    /** `bench scale`: the simulated decode stage's answers, keyed by task id. */
    public static final Topic<Answer> BENCH_SCALE_ANSWERS = new Topic<>("llava.bench-scale.answers",
            BENCH_SCALE_PARTITIONS, Map.of(), Answer.class);
    /**
     * The {@code bench scale} topics, which only that simulation creates (on its own embedded broker); they are not
     * in {@link #ALL}, so a pipeline's broker does not carry their 60 partitions.
     */
    public static final List<Topic<?>> BENCH_SCALE = List.of(BENCH_SCALE_VISION_REQUESTS,
            BENCH_SCALE_VISION_FEATURES, BENCH_SCALE_MERGE_REQUESTS, BENCH_SCALE_DECODE_REQUESTS,
            BENCH_SCALE_ANSWERS);

    /** Every Avro-valued topic of the pipeline. */
    public static final List<Topic<?>> ALL = List.of(POSTS, VISION_REQUESTS, VISION_FEATURES, MERGE_REQUESTS,
            DECODE_REQUESTS, IMAGE_EMBEDDINGS, ANSWERS, ANSWER_TOKENS, CAPTIONED_POSTS, DEAD_LETTERS, REPLAY_ANSWERS,
            BENCH_HOPS, LABELS, LABELED_POSTS_CIRCLE, LABELED_POSTS_SQUARE, LABELED_POSTS_TRIANGLE, LABELED_POSTS_CROSS,
            UNLABELED_POSTS);

    /**
     * The store of the schema registry that runs beside the embedded broker ({@code io.llavastream.serde.
     * KafkaSchemaRegistry}), named and laid out as Confluent Schema Registry's {@code _schemas}. It has one
     * partition, so that all registrations have one order, and it is compacted, so that every schema is kept
     * forever. Its keys and values are JSON in Confluent's format. Only that registry writes it. A registry
     * on a real cluster (Confluent, Apicurio, Karapace) keeps its own store, and this topic is not needed there.
     */
    public static final JsonTopic SCHEMAS = new JsonTopic("_schemas", 1, Map.of("cleanup.policy", "compact"));

    /** The topics that an embedded broker creates: {@link #ALL} and {@link #SCHEMAS}. */
    public static List<NewTopic> newTopics(short replicationFactor) {
        List<NewTopic> topics = new ArrayList<>(ALL.stream().map(t -> t.newTopic(replicationFactor)).toList());
        topics.add(SCHEMAS.newTopic(replicationFactor));
        return topics;
    }

    /**
     * A routed topic for captioned posts with label {@code label}: "llava.labeled-posts.&lt;label&gt;", partitioned
     * and configured as {@link #CAPTIONED_POSTS}. {@code labels set --topic} creates it for a label outside the demo's
     * set.
     */
    public static Topic<CaptionedPost> labeledPosts(String label) {
        return new Topic<>("llava.labeled-posts." + label, CAPTIONED_POSTS.partitions(), CAPTIONED_POSTS.configs(),
                CaptionedPost.class);
    }

    private Topics() {
    }
}
