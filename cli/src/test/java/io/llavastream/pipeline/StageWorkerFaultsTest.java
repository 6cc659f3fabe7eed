package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.LlavaConfig;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Worker;
import io.llavastream.worker.WorkerConfig;
import io.llavastream.worker.WorkerStats;
import io.llavastream.worker.Workers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stage workers on the embedded broker under hostile input and a rebalance: tombstones and garbage on every
 * stage topic are dead-lettered with their reason while valid posts keep coming out, and a second decode worker
 * that joins in the middle of continuous decoding and leaves again loses and duplicates nothing.
 */
class StageWorkerFaultsTest {
    static final List<Topic<?>> STAGE_TOPICS = List.of(Topics.VISION_REQUESTS, Topics.MERGE_REQUESTS,
            Topics.DECODE_REQUESTS);
    static EmbeddedPipeline pipeline;
    static PipelineClient client;

    @BeforeAll
    static void start() throws Exception {
        pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8, System.err::println);
        client = pipeline.client();
    }

    @AfterAll
    static void stop() {
        client.close();
        pipeline.close();
    }

    @Test
    void tombstonesAndGarbageOnEveryStageTopicAreDeadLetteredWithTheirReasonAndTheWorkersGoOn() {
        byte[] garbage = "{\"not\": \"avro\"}".getBytes(StandardCharsets.UTF_8);
        byte[] unknownId = {0, 0, 0, 0x7f, 0x7f, 1, 2};
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                pipeline.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            for (Topic<?> t : STAGE_TOPICS) {
                raw.send(new ProducerRecord<>(t.name(), "tomb@" + t.name(), null));
                raw.send(new ProducerRecord<>(t.name(), "junk@" + t.name(), garbage));
                raw.send(new ProducerRecord<>(t.name(), "unknown@" + t.name(), unknownId));
            }
        }
        List<Scene> scenes = new SceneGenerator(4242).scenes(0, 3);
        for (Scene s : scenes) {
            client.send(PngPosts.of("after-hostile-" + s.id(), "it", SceneRenderer.png(s)));
        }
        client.flush();

        Map<String, DeadLetter> dead = new ConcurrentHashMap<>();
        client.read(Topics.DEAD_LETTERS, Duration.ofSeconds(120), r -> {
            if (r.key() != null && r.key().contains("@llava.")) {
                dead.put(r.value().getErrorType() + ":" + r.key(), r.value());
            }
        }, () -> dead.size() >= 9);
        for (Topic<?> t : STAGE_TOPICS) {
            String stage = t == Topics.VISION_REQUESTS ? "vision" : t == Topics.MERGE_REQUESTS ? "merge" : "decode";
            for (String k : List.of("NULL_VALUE:tomb@", "NOT_AVRO:junk@", "UNKNOWN_SCHEMA_ID:unknown@")) {
                DeadLetter d = dead.get(k + t.name());
                assertThat(d).as("dead letter %s%s", k, t.name()).isNotNull();
                assertThat(d.getStage()).isEqualTo(stage);
                assertThat(d.getTopic()).isEqualTo(t.name());
            }
        }
        Map<String, CaptionedPost> out = new HashMap<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(120), r -> out.put(r.key(), r.value()),
                () -> scenes.stream().allMatch(s -> out.containsKey("after-hostile-" + s.id())));
        for (Scene s : scenes) {
            CaptionedPost p = out.get("after-hostile-" + s.id());
            assertThat(p).as("post after the hostile records").isNotNull();
            assertThat(p.getAnswers().get(0).getFailed()).isFalse();
        }
        for (Worker w : pipeline.workers()) {
            assertThat(w.stats().snapshot().deadLetters()).isGreaterThanOrEqualTo(3);
        }
    }

    /** A decode request in the current format: 80 ids, one Hv row (zeros) at each of {@code positions}. */
    private static DecodeRequest hvRequest(String postId, List<Long> ids, List<Integer> positions) {
        LlavaConfig c = ModelDirectory.open(ModelDirectory.bundled(), List.of()).config();
        int d = c.text().hiddenSize();
        TaskRef task = TaskRef.newBuilder().setTaskId(postId + "/0").setPostId(postId).setSource("it")
                .setImageIndex(0).setImageCount(1).setImageSha256("0".repeat(64)).setPrompt("USER: <image> ASSISTANT:")
                .setReceivedAt(java.time.Instant.now()).build();
        return DecodeRequest.newBuilder().setTask(task).setInputIds(ids).setModelId(c.modelId())
                .setImageFeatures(TensorCodec.fp16(new float[positions.size() * d], positions.size(), d))
                .setImagePositions(positions).setTimings(StageTimings.newBuilder().build()).build();
    }

    @Test
    void badIdsOrImagePositionsOnDecodeRequestsAreDeadLetteredWithAnErrorAnswerAndTheDecodeWorkerGoesOn() {
        List<Long> ids = new java.util.ArrayList<>(java.util.stream.LongStream.range(0, 80).map(i -> 5 + i % 20)
                .boxed().toList());
        List<Long> negative = new java.util.ArrayList<>(ids);
        negative.set(0, -1L);
        Map<String, DecodeRequest> sent = Map.of(
                "hv-good", hvRequest("hv-good", ids, List.of(1, 2)),
                "hv-position-outside", hvRequest("hv-position-outside", ids, List.of(1, 80)),
                "hv-id-outside", hvRequest("hv-id-outside", negative, List.of(1)));
        var serde = Topics.DECODE_REQUESTS.valueSerde(pipeline.registry());
        try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                pipeline.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
            sent.forEach((id, r) -> raw.send(new ProducerRecord<>(Topics.DECODE_REQUESTS.name(), id + "/0",
                    serde.serialize(Topics.DECODE_REQUESTS.name(), r))));
        }
        Map<String, DeadLetter> dead = new ConcurrentHashMap<>();
        client.read(Topics.DEAD_LETTERS, Duration.ofSeconds(120), r -> {
            if (r.key() != null && r.key().startsWith("hv-")) {
                dead.put(r.key(), r.value());
            }
        }, () -> dead.size() >= 2);
        assertThat(dead.get("hv-position-outside/0").getErrorType()).isEqualTo("BAD_DECODE_REQUEST");
        assertThat(dead.get("hv-position-outside/0").getErrorMessage())
                .contains("image_positions[1] = 80 is outside the prompt's 80 tokens");
        assertThat(dead.get("hv-id-outside/0").getErrorMessage())
                .contains("input_ids[0] = -1 is outside the vocabulary");
        assertThat(dead.get("hv-id-outside/0").getStage()).isEqualTo("decode");
        Map<String, Answer> answers = new ConcurrentHashMap<>();
        client.read(Topics.ANSWERS, Duration.ofSeconds(120), r -> {
            if (r.key().startsWith("hv-")) {
                answers.put(r.key(), r.value());
            }
        }, () -> answers.size() >= 3);
        assertThat(answers.get("hv-position-outside/0").getFinishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(answers.get("hv-id-outside/0").getError()).startsWith("BAD_DECODE_REQUEST: ");
        assertThat(answers.get("hv-good/0").getFinishReason()).as("the good one is decoded")
                .isNotEqualTo(FinishReason.ERROR);
        assertThat(dead).doesNotContainKey("hv-good/0");
    }

    @Test
    void aSecondDecodeWorkerJoiningAndLeavingDuringContinuousDecodeLosesAndDuplicatesNothing() throws Exception {
        Worker first = pipeline.workers().get(Workers.STAGES.indexOf("decode"));
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean sending = new AtomicBoolean(true);
        SceneGenerator scenes = new SceneGenerator(9090);
        Thread sender = new Thread(() -> {
            while (sending.get()) {
                Scene s = scenes.scene(sent.get());
                client.send(PngPosts.of("rb-" + sent.getAndIncrement(), "it", SceneRenderer.png(s)));
                client.flush();
                sleep(40);
            }
        }, "rebalance-sender");
        sender.start();
        long base = first.stats().snapshot().records();
        await(() -> first.stats().snapshot().records() >= base + 10, "the first decode worker answers");
        await(() -> first.stats().snapshot().inFlight() > 0, "the first decode worker has work in flight");
        long inFlightAtJoin = first.stats().snapshot().inFlight();

        Map<String, Object> settings = new HashMap<>();
        settings.put(WorkerConfig.STAGE, "decode");
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, pipeline.bootstrapServers());
        settings.put(WorkerConfig.MAX_BATCH_SIZE, 8);
        Worker second = Workers.create(ModelDirectory.bundled(), EngineOptions.threads(1), new WorkerConfig(settings),
                pipeline.registry());
        Thread t = new Thread(second::run, "worker-decode-2");
        t.start();
        await(() -> second.stats().snapshot().records() >= 10, "the second decode worker takes partitions");
        long inFlightAtLeave = second.stats().snapshot().inFlight() + first.stats().snapshot().inFlight();
        second.stop();
        t.join(30_000);
        assertThat(t.isAlive()).isFalse();
        long firstAfterLeave = first.stats().snapshot().records();
        await(() -> first.stats().snapshot().records() >= firstAfterLeave + 10, "the first worker takes back");
        sending.set(false);
        sender.join();
        int posts = sent.get();

        Map<String, AtomicInteger> captioned = new ConcurrentHashMap<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(240), r -> count(captioned, r.key(), "rb-"),
                () -> captioned.size() >= posts);
        Thread.sleep(3000);  // room for a late duplicate to show up
        captioned.clear();
        Map<String, AtomicInteger> answers = new ConcurrentHashMap<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(15), r -> count(captioned, r.key(), "rb-"),
                () -> false);
        Map<String, Answer> texts = new ConcurrentHashMap<>();
        client.read(Topics.ANSWERS, Duration.ofSeconds(15), r -> {
            count(answers, r.key(), "rb-");
            if (r.key() != null && r.key().startsWith("rb-")) {
                texts.put(r.key(), r.value());
            }
        }, () -> false);
        assertThat(captioned).hasSize(posts);
        assertThat(captioned.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
        assertThat(answers).hasSize(posts);
        assertThat(answers.values()).allSatisfy(c -> assertThat(c.get()).isEqualTo(1));
        Map<String, Map<String, StringBuilder>> streams = new ConcurrentHashMap<>();  // task -> stream -> text
        Map<String, String> finals = new ConcurrentHashMap<>();
        client.read(Topics.ANSWER_TOKENS, Duration.ofSeconds(15), r -> {
            AnswerToken d = r.value();
            if (d.getTaskId().startsWith("rb-")) {
                streams.computeIfAbsent(d.getTaskId(), k -> new ConcurrentHashMap<>())
                        .computeIfAbsent(d.getStreamId(), k -> new StringBuilder()).append(d.getDelta());
                if (d.getFinal$()) {
                    finals.put(d.getTaskId(), d.getStreamId());
                }
            }
        }, () -> false);
        texts.forEach((task, a) -> assertThat(streams.get(task).get(finals.get(task)).toString())
                .as("the streamed text of %s, whose decode may have started over on another worker", task)
                .isEqualTo(a.getText()));
        long restarted = streams.values().stream().filter(m -> m.size() > 1).count();
        WorkerStats.Snapshot s2 = second.stats().snapshot();
        System.out.println("rebalance test: " + posts + " posts; the second decode worker joined with "
                + inFlightAtJoin + " requests in flight at the first, committed " + s2.records()
                + " and left with " + inFlightAtLeave + " in flight in both; every post and answer exactly once; "
                + restarted + " answers streamed again under a new stream id, each final stream equal to its answer");
    }

    private static void count(Map<String, AtomicInteger> m, String key, String prefix) {
        if (key != null && key.startsWith(prefix)) {
            m.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            sleep(20);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
