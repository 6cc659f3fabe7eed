package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScore;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.serde.AvroSerde;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Worker;
import io.llavastream.worker.Workers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Zero-shot labels through the whole pipeline on the embedded broker (vision worker scoring, labels carried through
 * merge and decode, topology routing), with the demo label set installed before the workers start: 200 posts land
 * on exactly the topics of their labels, once each; a change of the label set on the topic changes the routing of
 * the posts sent after it, without a restart; hostile records on the labels topic are skipped and counted, and
 * the pipeline goes on with the labels it had.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabelRoutingPipelineTest {
    static final Duration WAIT = Duration.ofSeconds(600);
    static EmbeddedPipeline pipeline;
    static PipelineClient client;
    static LlavaModel model;
    static AvroSerde<CaptionedPost> serde;

    @BeforeAll
    static void start() throws Exception {
        pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 16, Map.of(), Map.of(),
                DemoLabels.definitions(Instant.now()), null, System.err::println);
        client = pipeline.client();
        model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.threads(1));
        serde = Topics.CAPTIONED_POSTS.valueSerde(pipeline.registry());
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (model != null) {
            model.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    /** The labels the vision worker should give a scene under {@code set}, scored here in-process. */
    static List<String> expectedLabels(Scene s, List<LabelPrompts> set) {
        LabelScorer scorer = LabelScorer.build(set, model.textEncoder(), model.directory().config().clipText()
                .logitScale());
        float[] e = model.vision().encode(model.pixelValues(SceneRenderer.png(s)), 1).normalizedEmbedding(0);
        return scorer.carried(e).stream().map(LabelScore::label).toList();
    }

    static List<LabelPrompts> demoSet() {
        return DemoLabels.SHAPES.stream().map(s -> new LabelPrompts(s, DemoLabels.prompts(s), DemoLabels.THRESHOLD))
                .toList();
    }

    /** Sends one post per scene, ids prefix-i, and returns the captioned posts of that prefix by id. */
    static Map<String, CaptionedPost> send(String prefix, List<Scene> scenes) {
        for (int i = 0; i < scenes.size(); i++) {
            client.send(PngPosts.of(prefix + i, "labels-test", SceneRenderer.png(scenes.get(i))));
        }
        client.flush();
        Map<String, CaptionedPost> out = new TreeMap<>();
        client.read(Topics.CAPTIONED_POSTS, WAIT, r -> {
            if (r.key().startsWith(prefix)) {
                assertThat(out.put(r.key(), r.value())).as("captioned twice: " + r.key()).isNull();
            }
        }, () -> out.size() >= scenes.size());
        assertThat(out).hasSize(scenes.size());
        return out;
    }

    /** Every post id on every routed topic, read_committed from the beginning to the end, with repeats. */
    static Map<String, List<String>> routed() {
        Map<String, List<String>> out = new HashMap<>();
        Map<String, Object> c = new HashMap<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                pipeline.bootstrapServers(), ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
        List<String> topics = new ArrayList<>(Topics.DEMO_LABEL_TOPICS.values().stream().map(t -> t.name()).toList());
        topics.add(Topics.UNLABELED_POSTS.name());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            topics.forEach(t -> consumer.partitionsFor(t).forEach(p -> parts.add(new TopicPartition(t,
                    p.partition()))));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    CaptionedPost p = serde.deserialize(r.topic(), r.value());
                    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(p.getPostId());
                    out.computeIfAbsent(p.getPostId(), k -> new ArrayList<>()).add(r.topic());
                }
            }
        }
        return out;
    }

    /** The demo mapping's topics for a post's labels, or the default topic. */
    static List<String> topicsOf(List<String> labels) {
        List<String> out = new ArrayList<>();
        for (String l : labels) {
            if (Topics.DEMO_LABEL_TOPICS.containsKey(l)) {
                out.add(Topics.DEMO_LABEL_TOPICS.get(l).name());
            }
        }
        return out.isEmpty() ? List.of(Topics.UNLABELED_POSTS.name()) : out;
    }

    static long max(java.util.function.ToLongFunction<Worker> f) {
        return pipeline.workers().stream().mapToLong(f).max().orElse(0);
    }

    static void await(LongSupplier value, long atLeast, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (value.getAsLong() < atLeast && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(value.getAsLong()).as(what).isGreaterThanOrEqualTo(atLeast);
    }

    @Test
    @Order(1)
    void twoHundredPostsLandOnExactlyTheTopicsOfTheirLabelsOnce() {
        List<Scene> scenes = new SceneGenerator(777).scenes(0, 200);
        Map<String, CaptionedPost> done = send("a-", scenes);
        Map<String, List<String>> routes = routed();
        Map<String, Integer> perLabel = new TreeMap<>();
        for (int i = 0; i < scenes.size(); i++) {
            CaptionedPost p = done.get("a-" + i);
            List<String> want = expectedLabels(scenes.get(i), demoSet());
            assertThat(p.getLabels()).as("labels of a-" + i).containsExactlyElementsOf(want);
            assertThat(p.getAnswers().get(0).getLabels()).extracting(l -> l.getLabel()).containsExactlyElementsOf(want);
            assertThat(routes.get("a-" + i)).as("topics of a-" + i + " with labels " + want)
                    .containsExactlyInAnyOrderElementsOf(topicsOf(want));
            (want.isEmpty() ? List.of("(none)") : want).forEach(l -> perLabel.merge(l, 1, Integer::sum));
        }
        assertThat(perLabel.keySet()).as("posts per label " + perLabel).containsAll(DemoLabels.SHAPES);
        System.out.println("labels: 200 posts routed, per label " + perLabel);
    }

    @Test
    @Order(2)
    void changingTheLabelSetChangesTheRoutingOfLaterPostsWithoutARestart() throws Exception {
        long before = max(w -> w.stats().labelsVersion());
        List<LabelPrompts> changed = new ArrayList<>(demoSet().subList(1, 4));
        changed.add(0, new LabelPrompts("round", DemoLabels.prompts("circle"), DemoLabels.THRESHOLD));
        try (LabelStore store = new LabelStore(Map.of("bootstrap.servers", pipeline.bootstrapServers()),
                pipeline.registry())) {
            store.remove("circle");
            store.set(LabelDefinition.newBuilder().setLabel("round").setPrompts(DemoLabels.prompts("circle"))
                    .setThreshold(DemoLabels.THRESHOLD).build());
            assertThat(store.list(Duration.ofSeconds(30)).labels().keySet())
                    .containsExactly("cross", "round", "square", "triangle");
        }
        await(() -> max(w -> w.stats().labelsVersion()), before + 2, "label set version in the vision worker");

        List<Scene> scenes = new SceneGenerator(778).scenes(0, 40);
        Map<String, CaptionedPost> done = send("b-", scenes);
        Map<String, List<String>> routes = routed();
        int round = 0;
        for (int i = 0; i < scenes.size(); i++) {
            List<String> want = expectedLabels(scenes.get(i), changed);
            assertThat(done.get("b-" + i).getLabels()).as("labels of b-" + i).containsExactlyElementsOf(want);
            assertThat(want).doesNotContain("circle");
            assertThat(routes.get("b-" + i)).as("topics of b-" + i).containsExactlyInAnyOrderElementsOf(
                    topicsOf(want)).doesNotContain(Topics.LABELED_POSTS_CIRCLE.name());
            round += want.contains("round") ? 1 : 0;
        }
        assertThat(round).as("posts labelled round, routed to the default topic").isPositive();
        assertThat(routes.entrySet()).filteredOn(e -> e.getKey().startsWith("a-"))
                .allSatisfy(e -> assertThat(e.getValue()).doesNotHaveDuplicates());
    }

    @Test
    @Order(3)
    void hostileRecordsOnTheLabelsTopicAreSkippedCountedAndThePipelineGoesOn() throws Exception {
        long skippedBefore = max(w -> w.stats().labelsSkipped());
        AvroSerde<LabelDefinition> labels = Topics.LABELS.valueSerde(pipeline.registry());
        Map<byte[], byte[]> hostile = new LinkedHashMap<>();
        hostile.put("junk".getBytes(StandardCharsets.UTF_8), new byte[] {0, 0, 0, 0, 99, 1, 2, 3});  // unknown id
        hostile.put("garbage".getBytes(StandardCharsets.UTF_8), "not avro at all".getBytes(StandardCharsets.UTF_8));
        hostile.put("square".getBytes(StandardCharsets.UTF_8), labels.serialize(Topics.LABELS.name(),
                LabelDefinition.newBuilder().setLabel("triangle").setPrompts(List.of("a square"))
                        .setThreshold(0.5).build()));                                            // key != label
        hostile.put("cross".getBytes(StandardCharsets.UTF_8), labels.serialize(Topics.LABELS.name(),
                LabelDefinition.newBuilder().setLabel("cross").setPrompts(List.of("a cross")).setThreshold(7)
                        .build()));                                                              // threshold
        // (a record without a key cannot be written: the broker refuses it on a compacted topic)
        hostile.put("ghost".getBytes(StandardCharsets.UTF_8), null);  // a tombstone for no label: a harmless remove
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers",
                pipeline.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Map.Entry<byte[], byte[]> e : hostile.entrySet()) {
                p.send(new ProducerRecord<>(Topics.LABELS.name(), e.getKey(), e.getValue())).get();
            }
        }
        await(() -> max(w -> w.stats().labelsSkipped()), skippedBefore + 4, "skipped label records");
        // the tombstone of a label that does not exist changes nothing: the version stays

        List<LabelPrompts> unchanged = new ArrayList<>(demoSet().subList(1, 4));
        unchanged.add(0, new LabelPrompts("round", DemoLabels.prompts("circle"), DemoLabels.THRESHOLD));
        List<Scene> scenes = new SceneGenerator(779).scenes(0, 20);
        Map<String, CaptionedPost> done = send("c-", scenes);
        for (int i = 0; i < scenes.size(); i++) {
            assertThat(done.get("c-" + i).getLabels()).as("labels of c-" + i)
                    .containsExactlyElementsOf(expectedLabels(scenes.get(i), unchanged));
        }
        assertThat(max(w -> w.stats().labelsSkipped())).isEqualTo(skippedBefore + 4);
        try (LabelStore store = new LabelStore(Map.of("bootstrap.servers", pipeline.bootstrapServers()),
                pipeline.registry())) {
            LabelStore.Listing listing = store.list(Duration.ofSeconds(30));
            assertThat(listing.labels().keySet()).containsExactly("cross", "round", "square", "triangle");
            assertThat(listing.skipped()).as("labels list leaves the same records out").isEqualTo(4);
        }
    }
}
