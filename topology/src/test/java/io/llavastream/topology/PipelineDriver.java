package io.llavastream.topology;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.Tensor;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/** The pipeline on a {@link TopologyTestDriver} with real serdes on an in-memory registry, and record builders. */
final class PipelineDriver implements AutoCloseable {
    static final String MODEL = "llava-stream/demo-v1";
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    final SchemaRegistry registry;
    final TopologyTestDriver driver;
    final TestInputTopic<String, byte[]> postBytes;
    final TestInputTopic<String, Post> posts;
    final TestInputTopic<String, Answer> answers;
    final TestOutputTopic<String, ImageTask> visionRequests;
    final TestOutputTopic<String, Answer> answersOut;
    final TestOutputTopic<String, CaptionedPost> captioned;
    final TestOutputTopic<String, DeadLetter> deadLetters;
    /** What the topology and its exception handler counted, by error type. */
    final DeadLetterCounts deadLetterCounts;

    PipelineDriver(Path stateDir, Map<String, Object> settings) {
        this(stateDir, settings, null);
    }

    /**
     * With {@code guarantee} replacing exactly_once_v2 (null keeps it). Only for dead letters from the
     * deserialization handler: under EOS the driver's MockProducer drops what is sent outside processing (its
     * clear() empties the open transaction), where a real producer commits it with the next transaction.
     */
    PipelineDriver(Path stateDir, Map<String, Object> settings, String guarantee) {
        this(stateDir, settings, guarantee, new InMemorySchemaRegistry());
    }

    /** With {@code registry} instead of a fresh in-memory one. */
    PipelineDriver(Path stateDir, Map<String, Object> settings, String guarantee, SchemaRegistry registry) {
        this.registry = registry;
        Map<String, Object> all = new HashMap<>(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, MODEL,
                PipelineConfig.STATE_DIR_CONFIG, stateDir.toString()));
        all.putAll(settings);
        PipelineConfig config = new PipelineConfig(all);
        Properties props = StreamsProperties.of(config, "unused:9092", Map.of(), registry);
        if (guarantee != null) {
            props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        }
        deadLetterCounts = StreamsProperties.deadLetterCounts(props);
        driver = new TopologyTestDriver(PipelineTopology.build(PipelineTopology.newBuilder(props), config, registry,
                deadLetterCounts), props, START);
        postBytes = driver.createInputTopic(Topics.POSTS.name(), Serdes.String().serializer(),
                Serdes.ByteArray().serializer());
        posts = input(Topics.POSTS);
        answers = input(Topics.ANSWERS);
        visionRequests = output(Topics.VISION_REQUESTS);
        answersOut = output(Topics.ANSWERS);
        captioned = output(Topics.CAPTIONED_POSTS);
        deadLetters = output(Topics.DEAD_LETTERS);
    }

    private <V extends SpecificRecord> TestInputTopic<String, V> input(Topic<V> t) {
        return driver.createInputTopic(t.name(), t.keySerde().serializer(), t.valueSerde(registry).serializer());
    }

    private <V extends SpecificRecord> TestOutputTopic<String, V> output(Topic<V> t) {
        return driver.createOutputTopic(t.name(), t.keySerde().deserializer(), t.valueSerde(registry).deserializer());
    }

    /** Serialized exactly as a producer with this registry would write it. */
    byte[] bytes(Post post) {
        return Topics.POSTS.valueSerde(registry).serialize(Topics.POSTS.name(), post);
    }

    /** A topic written with raw bytes (or nulls), as a client outside the project would. */
    TestInputTopic<String, byte[]> rawInput(Topic<?> topic) {
        return driver.createInputTopic(topic.name(), Serdes.String().serializer(), Serdes.ByteArray().serializer());
    }

    /** {@code value} in {@code topic}'s wire format, with this driver's registry. */
    <V extends SpecificRecord> byte[] bytes(Topic<V> topic, V value) {
        return topic.valueSerde(registry).serialize(topic.name(), value);
    }

    static Post post(String id, String question, byte[]... images) {
        return Post.newBuilder().setId(id).setSource("forum").setCreatedAt(START).setQuestion(question)
                .setImages(java.util.Arrays.stream(images).map(b -> PostImage.newBuilder().setContentType("image/png")
                        .setData(ByteBuffer.wrap(b)).build()).toList()).build();
    }

    static VisionFeatures features(String sha256) {
        Tensor t = Tensor.newBuilder().setDtype(DType.FP32).setShape(List.of(1)).setData(ByteBuffer.allocate(4)).build();
        return VisionFeatures.newBuilder().setImageSha256(sha256).setVisionModelId(MODEL).setPatchFeatures(t)
                .setImageEmbedding(t).setVisionMs(1.5).build();
    }

    static Answer answer(TaskRef task, String text, FinishReason reason, Instant completedAt) {
        return Answer.newBuilder().setTask(task).setText(text).setTokenIds(List.of(1L, 2L)).setFinishReason(reason)
                .setModelId(MODEL).setTimings(StageTimings.newBuilder().build())
                .setError(reason == FinishReason.ERROR ? "CORRUPT_IMAGE: not an image" : null)
                .setCompletedAt(completedAt).build();
    }

    static <V> List<V> values(TestOutputTopic<String, V> topic) {
        return topic.readRecordsToList().stream().map(TestRecord::value).toList();
    }

    @Override
    public void close() {
        driver.close();
    }
}
