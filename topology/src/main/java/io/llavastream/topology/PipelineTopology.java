package io.llavastream.topology;

import static io.llavastream.topology.TopologyNames.*;

import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.PostPart;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The routing topology: posts in, per-image tasks out to the vision stage, captioned posts assembled from their
 * answers. Reads {@link Topics#POSTS} (raw bytes) and {@link Topics#ANSWERS}; writes {@link Topics#VISION_REQUESTS}
 * (every accepted image, keyed by task id, on the partition of its cache key), {@link Topics#ANSWERS} (ERROR answers for refused images),
 * {@link Topics#CAPTIONED_POSTS}, the label topics of {@code label.topics} and {@code label.default.topic}
 * ({@link LabelRouting}; by default {@link Topics#DEMO_LABEL_TOPICS} and {@link Topics#UNLABELED_POSTS}) and
 * {@link Topics#DEAD_LETTERS}. The vision cache lives in the vision worker
 * ({@code io.llavastream.stage.CachedVisionMachine}), which sends hits and misses alike on to the merge stage: an
 * image's bytes cross Kafka once (posts) before the vision stage reads them from vision-requests.
 *
 * <pre>
 * posts -> validate-post -+- refused --------------------------------------------> dead-letters
 *                         +- accepted -> split-images -+- refused -+-------------> dead-letters
 *                                                      |           +- ERROR answer -> answers
 *                                                      +- accepted -> vision-requests (keyed by task id, on the
 *                                                         partition of "sha256|vision model", as vision-features)
 * accepted posts -> key by post id -> post metadata (no image bytes) -+
 * answers -> decode-answer -> answer part (keyed by post id) ----------+- merge -> post-parts-by-post (repartition)
 *                                   -> assemble-post -+- completed (or timed out) -> captioned-posts
 *                                                     |    +- route-by-label-to-T -> T, for each topic T of
 *                                                     |       label.topics and label.default.topic
 *                                                     +- TIMEOUT per missing image -> dead-letters
 * </pre>
 * Every node, branch, repartition and store is named ({@link TopologyNames}). Every processor runs inside a
 * {@link RecordGuard}; every value written is measured against its topic's limit first ({@link LimitedSerde}).
 * A record the topology cannot use, whichever topic it comes from, becomes a dead letter: the validator's own
 * checks, {@link AnswerDecoder}, and {@link DeadLetterExceptionHandler} for the rest.
 */
public final class PipelineTopology {
    /**
     * The topology optimizations: none since the vision cache moved to the vision worker (the topology holds no
     * table over a source topic any more, and its one repartition is named and placed by hand).
     */
    public static final String OPTIMIZATIONS = StreamsConfig.NO_OPTIMIZATION;

    private PipelineTopology() {
    }

    /**
     * A builder with the topology settings of {@code streamsProperties} ({@link StreamsProperties}): among them
     * ensure.explicit.internal.resource.naming, so that {@link #build} fails on a store or repartition topic left
     * with a generated name.
     */
    public static StreamsBuilder newBuilder(Properties streamsProperties) {
        return new StreamsBuilder(new TopologyConfig(new StreamsConfig(streamsProperties)));
    }

    /**
     * Adds the pipeline to {@code builder} and builds it, with {@link #OPTIMIZATIONS}; the dead letters of its own
     * checks are counted into {@code deadLetters} (the instance in the Streams properties,
     * {@link StreamsProperties#deadLetterCounts}, which the exception handler counts into too).
     */
    public static Topology build(StreamsBuilder builder, PipelineConfig config, SchemaRegistry registry,
                                 DeadLetterCounts deadLetters) {
        KStream<String, RawPost> accepted = validatePosts(builder, config, registry, deadLetters);
        KStream<String, ImageTask> images = splitPosts(accepted, config, registry, deadLetters);
        routeToVision(images, config, registry);
        assemblePosts(builder, accepted, config, registry, deadLetters);
        Properties props = new Properties();
        props.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, OPTIMIZATIONS);
        return builder.build(props);
    }

    /** posts -> valid posts keyed by post key; refused posts to the dead letters. */
    private static KStream<String, RawPost> validatePosts(StreamsBuilder builder, PipelineConfig config,
                                                          SchemaRegistry registry, DeadLetterCounts deadLetters) {
        Map<String, KStream<String, Checked<RawPost>>> posts = builder
                .stream(Topics.POSTS.name(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(POSTS_SOURCE))
                .process(() -> new PostValidator(Topics.POSTS.valueSerde(registry), config.postChecks()),
                        Named.as(VALIDATE_POST))
                .split(Named.as(POST_BRANCH))
                .branch((key, post) -> post.isRefused(), Branched.as(REFUSED))
                .defaultBranch(Branched.as(ACCEPTED));
        posts.get(POST_BRANCH + REFUSED)
                .mapValues(post -> deadLetters.counted(post.deadLetter()), Named.as(POST_DEAD_LETTER))
                .to(Topics.DEAD_LETTERS.name(), produced(Topics.DEAD_LETTERS, registry, POST_DEAD_LETTERS_SINK));

        return posts.get(POST_BRANCH + ACCEPTED).mapValues(Checked::value, Named.as(UNWRAP_POST));
    }

    /** valid posts -> valid image tasks keyed by post key; refused images to the dead letters and ERROR answers. */
    private static KStream<String, ImageTask> splitPosts(KStream<String, RawPost> accepted, PipelineConfig config,
                                                         SchemaRegistry registry, DeadLetterCounts deadLetters) {
        PostChecks checks = config.postChecks();
        Map<String, String> sourceAdapters = config.sourceAdapters();
        Map<String, KStream<String, Checked<ImageTask>>> images = accepted
                .process(() -> new ImageSplitter(checks, sourceAdapters),
                        Named.as(SPLIT_IMAGES))
                .split(Named.as(IMAGE_BRANCH))
                .branch((key, image) -> image.isRefused(), Branched.as(REFUSED))
                .defaultBranch(Branched.as(ACCEPTED));
        KStream<String, Checked<ImageTask>> refused = images.get(IMAGE_BRANCH + REFUSED);
        refused.mapValues(image -> deadLetters.counted(image.deadLetter()), Named.as(IMAGE_DEAD_LETTER))
                .to(Topics.DEAD_LETTERS.name(), produced(Topics.DEAD_LETTERS, registry, IMAGE_DEAD_LETTERS_SINK));
        refused.map((key, image) -> KeyValue.pair(image.value().getTask().getTaskId(),
                        FailedAnswers.of(image.value().getTask(), image.deadLetter())), Named.as(IMAGE_ERROR_ANSWER))
                .to(Topics.ANSWERS.name(), produced(Topics.ANSWERS, registry, IMAGE_ERROR_ANSWERS_SINK));
        return images.get(IMAGE_BRANCH + ACCEPTED).mapValues(Checked::value, Named.as(UNWRAP_IMAGE));
    }

    /**
     * image tasks -> vision requests, keyed by task id: the image bytes cross Kafka once on their way to the vision
     * stage. {@link CacheKeyPartitioner} puts a request on the partition of vision-features that holds its image's
     * cached features, the one its cache key ("sha256|vision model") gets (both topics have the same partition
     * count), so each vision worker restores and keeps the features of its own partitions only.
     */
    private static void routeToVision(KStream<String, ImageTask> images, PipelineConfig config,
                                      SchemaRegistry registry) {
        images.selectKey((postKey, task) -> task.getTask().getTaskId(), Named.as(KEY_BY_TASK_ID))
                .to(Topics.VISION_REQUESTS.name(), produced(Topics.VISION_REQUESTS, registry, VISION_REQUESTS_SINK)
                        .withStreamPartitioner(new CacheKeyPartitioner(config.visionModelId())));
    }

    /**
     * post metadata (when split) + answers -> one post part stream keyed by post id, through one repartition topic
     * so that a post's metadata and answers land on the same partition, metadata first -> one captioned post per
     * post, once every image is answered.
     */
    private static void assemblePosts(StreamsBuilder builder, KStream<String, RawPost> accepted, PipelineConfig config,
                                      SchemaRegistry registry, DeadLetterCounts deadLetters) {
        addAssemblyStores(builder, registry);
        KStream<String, PostPart> metadata = accepted
                .selectKey((key, raw) -> raw.post().getId(), Named.as(KEY_POST_BY_ID))
                .mapValues(raw -> PostParts.metadata(raw.post(), raw.receivedAt()), Named.as(POST_METADATA));
        KStream<String, PostPart> answered = builder
                .stream(Topics.ANSWERS.name(), Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(ANSWERS_SOURCE))
                .mapValues(new AnswerDecoder(Topics.ANSWERS.valueSerde(registry)), Named.as(DECODE_ANSWER))
                .map((key, answer) -> KeyValue.pair(answer.getTask().getPostId(),
                        PostPart.newBuilder().setAnswer(answer).build()), Named.as(ANSWER_PART));
        CaptionFormat format = config.captionFormat();
        Map<String, KStream<String, Checked<CaptionedPost>>> assembled = metadata.merge(answered, Named.as(MERGE_POST_PARTS))
                .repartition(Repartitioned.with(Serdes.String(), internal(new AvroSerde<>(PostPart.class, registry),
                        "PostPart")).withName(POST_PARTS_BY_POST))
                .process(() -> new PostAssembler(config, new PostBodyRenderer(format)), Named.as(ASSEMBLE_POST),
                        PENDING_POSTS_STORE, COMPLETED_POSTS_STORE, PENDING_BY_TIME_STORE, COMPLETED_BY_TIME_STORE)
                .split(Named.as(ASSEMBLY_BRANCH))
                .branch((key, post) -> post.isRefused(), Branched.as(TIMED_OUT))
                .defaultBranch(Branched.as(COMPLETED));
        assembled.get(ASSEMBLY_BRANCH + TIMED_OUT)
                .mapValues(post -> deadLetters.counted(post.deadLetter()), Named.as(TIMEOUT_DEAD_LETTER))
                .to(Topics.DEAD_LETTERS.name(), produced(Topics.DEAD_LETTERS, registry, TIMEOUT_DEAD_LETTERS_SINK));
        KStream<String, CaptionedPost> completed = assembled.get(ASSEMBLY_BRANCH + COMPLETED)
                .mapValues(Checked::value, Named.as(UNWRAP_CAPTIONED_POST));
        completed.to(Topics.CAPTIONED_POSTS.name(), produced(Topics.CAPTIONED_POSTS, registry, CAPTIONED_POSTS_SINK));
        routeByLabel(completed, config.labelRouting(), registry);
    }

    /**
     * captioned posts -> a copy on the topic of each label they carry, or on the default topic: one filter and one
     * sink per topic of {@code label.topics}, so the shape is fixed by the configuration while the labels that posts
     * carry follow the label set on the labels topic. The copies are written in the transaction that writes the
     * post to captioned-posts (exactly once).
     */
    private static void routeByLabel(KStream<String, CaptionedPost> completed, LabelRouting routing,
                                     SchemaRegistry registry) {
        if (!routing.enabled()) {
            return;
        }
        AvroSerde<CaptionedPost> sizer = Topics.CAPTIONED_POSTS.valueSerde(registry);
        int limit = RecordLimits.maxValueBytes(Topics.CAPTIONED_POSTS);
        KStream<String, CaptionedPost> fitting = completed.filter((key, post) ->
                sizer.serialize(Topics.CAPTIONED_POSTS.name(), post).length <= limit, Named.as(ROUTE_IF_IT_FITS));
        for (String topic : routing.allTopics()) {
            fitting.filter((key, post) -> routing.route(post).contains(topic), Named.as(ROUTE_BY_LABEL + topic))
                    .to(topic, Produced.with(Topics.CAPTIONED_POSTS.keySerde(), new LimitedSerde<>(
                            Topics.CAPTIONED_POSTS.valueSerde(registry),
                            RecordLimits.maxValueBytes(Topics.CAPTIONED_POSTS), "CaptionedPost for " + topic))
                            .withName(LABELED_POSTS_SINK + topic));
        }
    }

    /**
     * The assembly's stores: pending posts (values limited to what their changelog takes), completed post ids, and
     * a time index of each; all cached ({@link #cached}).
     */
    private static void addAssemblyStores(StreamsBuilder builder, SchemaRegistry registry) {
        builder.addStateStore(cached(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_POSTS_STORE),
                Serdes.String(), internal(Topics.CAPTIONED_POSTS.valueSerde(registry), "pending CaptionedPost"))));
        builder.addStateStore(cached(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(COMPLETED_POSTS_STORE),
                Serdes.String(), Serdes.Long())));
        for (String index : new String[] {PENDING_BY_TIME_STORE, COMPLETED_BY_TIME_STORE}) {
            builder.addStateStore(cached(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(index),
                    Serdes.String(), Serdes.String())));
        }
    }

    /**
     * {@code store} with Kafka Streams' record cache in front: writes to one key between two commits reach the
     * changelog once, at the commit (a post's metadata and its answers, its pending entry and time index, often
     * meet in one commit interval), instead of one changelog record per put.
     */
    private static <S extends StateStore> StoreBuilder<S> cached(StoreBuilder<S> store) {
        return store.withCachingEnabled();
    }

    /** {@code serde} with values limited to what an internal topic (repartition, changelog) takes. */
    private static <V> Serde<V> internal(Serde<V> serde, String what) {
        return new LimitedSerde<>(serde, RecordLimits.INTERNAL_VALUE_BYTES, what + " for an internal topic");
    }

    /** The sink's serdes, its values limited to what {@code topic} takes ({@link RecordLimits}). */
    private static <V extends SpecificRecord> Produced<String, V> produced(Topic<V> topic, SchemaRegistry registry,
                                                                           String name) {
        return Produced.with(topic.keySerde(), new LimitedSerde<>(topic.valueSerde(registry),
                RecordLimits.maxValueBytes(topic), topic.valueType().getSimpleName() + " for " + topic.name()))
                .withName(name);
    }
}
