package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.FinishReason;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.serde.AvroSerde;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Worker;
import io.llavastream.worker.WorkerConfig;
import io.llavastream.worker.Workers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * Token previews that cannot be sent never cost an answer: while a decode worker streams tokens, the broker starts
 * refusing every record on the answer-tokens topic (its max.message.bytes set below a batch header); the worker
 * goes on answering every post exactly once, counts the dropped previews, and streams complete answers again once
 * the topic takes records.
 */
class TokenPreviewFaultTest {
    @Test
    void previewsTheBrokerRefusesAreDroppedAndCountedWhileEveryPostIsStillAnsweredExactlyOnce() throws Exception {
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), List.of("vision", "merge"), 8,
                System.err::println);
             PipelineClient client = pipeline.client();
             Admin admin = Admin.create(Map.of("bootstrap.servers", pipeline.bootstrapServers()))) {
            Map<String, Object> settings = new HashMap<>();
            settings.put(WorkerConfig.STAGE, "decode");
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, pipeline.bootstrapServers());
            settings.put(WorkerConfig.MAX_BATCH_SIZE, 8);
            Worker decode = Workers.create(ModelDirectory.bundled(), EngineOptions.threads(1),
                    new WorkerConfig(settings), pipeline.registry());
            Thread worker = new Thread(decode::run, "worker-decode-previews");
            worker.start();
            AtomicInteger sent = new AtomicInteger();
            AtomicBoolean sending = new AtomicBoolean(true);
            SceneGenerator scenes = new SceneGenerator(3141);
            Thread sender = new Thread(() -> {
                while (sending.get()) {
                    int i = sent.get();
                    client.send(PngPosts.of("pf-" + i, "it", SceneRenderer.png(scenes.scene(i))));
                    client.flush();
                    sent.incrementAndGet();
                    sleep(100);
                }
            }, "preview-fault-sender");
            sender.start();
            try {
                await(() -> decode.stats().previewsSent() > 0, "previews flow");
                refuseTokenRecords(admin, true);  // injected while requests are decoding
                await(() -> decode.stats().previewsDropped() > 0, "previews are dropped");
                long answeredAtDrop = decode.stats().snapshot().records();
                await(() -> decode.stats().snapshot().records() >= answeredAtDrop + 5, "answers go on while dropping");
                refuseTokenRecords(admin, false);
                long sentAtRestore = decode.stats().previewsSent();
                await(() -> decode.stats().previewsSent() > sentAtRestore + 20, "previews flow again");
            } finally {
                sending.set(false);
                sender.join();
            }
            int posts = sent.get();
            Map<String, List<Answer>> answers = readAnswers(pipeline, posts);
            decode.stop();
            worker.join(30_000);
            assertThat(answers).hasSize(posts);
            assertThat(answers.values()).allSatisfy(a -> {
                assertThat(a).as("each post answered exactly once").hasSize(1);
                assertThat(a.get(0).getFinishReason()).isNotEqualTo(FinishReason.ERROR);
            });
            assertThat(decode.stats().snapshot().deadLetters()).isZero();
            assertThat(decode.stats().previewsDropped()).isPositive();
            Answer last = answers.get("pf-" + (posts - 1) + "/0").get(0);
            assertThat(streamedText(pipeline, last.getTask().getTaskId())).as("the last post, after the restore")
                    .isEqualTo(last.getText());
            System.out.println("preview faults: " + posts + " posts answered once each; previews sent "
                    + decode.stats().previewsSent() + ", dropped " + decode.stats().previewsDropped());
        }
    }

    /** Sets (or removes) a max.message.bytes on the token topic that no record batch fits in. */
    private static void refuseTokenRecords(Admin admin, boolean refuse) throws Exception {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, Topics.ANSWER_TOKENS.name());
        AlterConfigOp op = refuse
                ? new AlterConfigOp(new ConfigEntry("max.message.bytes", "16"), AlterConfigOp.OpType.SET)
                : new AlterConfigOp(new ConfigEntry("max.message.bytes", ""), AlterConfigOp.OpType.DELETE);
        admin.incrementalAlterConfigs(Map.of(topic, List.of(op))).all().get();
    }

    /** Every answer (read_committed) by task, read until all posts have one and then 3 s more for duplicates. */
    private static Map<String, List<Answer>> readAnswers(EmbeddedPipeline pipeline, int posts) {
        AvroSerde<Answer> serde = Topics.ANSWERS.valueSerde(pipeline.registry());
        Map<String, List<Answer>> out = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = consumer(pipeline)) {
            c.subscribe(List.of(Topics.ANSWERS.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            long quietUntil = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(serde.deserialize(r.topic(), r.value()));
                }
                if (out.size() >= posts && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                }
            }
        }
        return out;
    }

    /** The concatenated deltas of the stream that ended with a final delta for {@code taskId}. */
    private static String streamedText(EmbeddedPipeline pipeline, String taskId) {
        AvroSerde<AnswerToken> serde = Topics.ANSWER_TOKENS.valueSerde(pipeline.registry());
        Map<String, StringBuilder> byStream = new HashMap<>();
        try (KafkaConsumer<String, byte[]> c = consumer(pipeline)) {
            c.subscribe(List.of(Topics.ANSWER_TOKENS.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    AnswerToken t = serde.deserialize(r.topic(), r.value());
                    if (t.getTaskId().equals(taskId)) {
                        StringBuilder text = byStream.computeIfAbsent(t.getStreamId(), k -> new StringBuilder());
                        text.append(t.getDelta());
                        if (t.getFinal$()) {
                            return text.toString();
                        }
                    }
                }
            }
        }
        throw new AssertionError("no final delta for " + taskId);
    }

    private static KafkaConsumer<String, byte[]> consumer(EmbeddedPipeline pipeline) {
        return new KafkaConsumer<>(Map.of("bootstrap.servers", pipeline.bootstrapServers(), "group.id",
                "faults-" + UUID.randomUUID(), "auto.offset.reset", "earliest", "isolation.level", "read_committed"),
                new StringDeserializer(), new ByteArrayDeserializer());
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
