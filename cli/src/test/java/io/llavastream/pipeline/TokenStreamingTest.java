package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.ModelDirectory;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.FinishReason;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.serde.AvroSerde;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Worker;
import io.llavastream.worker.Workers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tokens streaming in the pipeline as the demo runs it ({@link EmbeddedPipeline}, every stage, streaming on by
 * default): one read_committed consumer on both the answer-tokens and the answers topics sees each answer's final
 * delta before the answer itself, and the answer's stream is complete: seq 0..n-1 without gaps, its ids are the
 * answer's ids, and its deltas concatenate to the answer's text exactly.
 */
class TokenStreamingTest {
    static final int POSTS = 6;
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
    void everyAnswersFinalDeltaIsInTheTokenTopicBeforeTheAnswerAndItsDeltasConcatenateToItsText() {
        Map<String, Object> props = new HashMap<>(Map.of("bootstrap.servers", pipeline.bootstrapServers(),
                "group.id", "tokens-" + UUID.randomUUID(), "auto.offset.reset", "earliest",
                "isolation.level", "read_committed"));
        AvroSerde<AnswerToken> tokens = Topics.ANSWER_TOKENS.valueSerde(pipeline.registry());
        AvroSerde<Answer> answers = Topics.ANSWERS.valueSerde(pipeline.registry());
        List<Scene> scenes = new SceneGenerator(2718).scenes(0, POSTS);
        for (Scene s : scenes) {
            client.send(PngPosts.of("tok-" + s.id(), "it", SceneRenderer.png(s)));
        }
        client.flush();

        Map<String, List<AnswerToken>> streams = new LinkedHashMap<>();  // by stream_id, in arrival order
        Map<String, String> finalStream = new HashMap<>();  // task id -> the stream whose final delta came
        Map<String, Answer> seen = new LinkedHashMap<>();
        List<String> answeredFirst = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(Topics.ANSWER_TOKENS.name(), Topics.ANSWERS.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            while (seen.size() < POSTS && System.nanoTime() < deadline) {
                ConsumerRecords<String, byte[]> batch = consumer.poll(Duration.ofMillis(200));
                // one poll is one fetch's view of both topics: its deltas count as received before its answers
                for (ConsumerRecord<String, byte[]> r : batch.records(Topics.ANSWER_TOKENS.name())) {
                    AnswerToken t = tokens.deserialize(r.topic(), r.value());
                    assertThat(r.key()).isEqualTo(t.getTaskId());
                    streams.computeIfAbsent(t.getStreamId(), k -> new ArrayList<>()).add(t);
                    if (t.getFinal$()) {
                        finalStream.put(t.getTaskId(), t.getStreamId());
                    }
                }
                for (ConsumerRecord<String, byte[]> r : batch.records(Topics.ANSWERS.name())) {
                    if (r.key().startsWith("tok-")) {
                        if (!finalStream.containsKey(r.key())) {
                            answeredFirst.add(r.key());
                        }
                        seen.put(r.key(), answers.deserialize(r.topic(), r.value()));
                    }
                }
            }
        }
        assertThat(seen).as("answers").hasSize(POSTS);
        assertThat(answeredFirst).as("answers seen before their final delta").isEmpty();
        for (Answer a : seen.values()) {
            String task = a.getTask().getTaskId();
            assertThat(a.getFinishReason()).isNotEqualTo(FinishReason.ERROR);
            List<AnswerToken> stream = streams.get(finalStream.get(task));
            assertThat(stream).extracting(AnswerToken::getSeq).as("seq of %s", task)
                    .containsExactlyElementsOf(IntStream.range(0, stream.size()).boxed().toList());
            assertThat(stream).extracting(AnswerToken::getFinal$).containsOnlyOnce(true).last().isEqualTo(true);
            assertThat(stream.stream().flatMap(t -> t.getTokenIds().stream()).toList()).as("ids of %s", task)
                    .isEqualTo(a.getTokenIds());
            assertThat(String.join("", stream.stream().map(AnswerToken::getDelta).toList())).as("text of %s", task)
                    .isEqualTo(a.getText()).isNotEmpty();
            assertThat(stream.size()).as("deltas of %s: one per decode step", task).isGreaterThan(1);
            assertThat(stream).allSatisfy(t -> {
                assertThat(t.getTaskId()).isEqualTo(task);
                assertThat(t.getPostId()).isEqualTo(a.getTask().getPostId());
                assertThat(t.getModelId()).isEqualTo(a.getModelId());
                assertThat(t.getEmittedAt()).isBeforeOrEqualTo(a.getCompletedAt());
            });
        }
        Worker decode = pipeline.workers().get(Workers.STAGES.indexOf("decode"));
        assertThat(decode.stats().previewsDropped()).isZero();
        assertThat(decode.stats().previewsSent()).as("each preview sent once, all read")
                .isEqualTo(streams.values().stream().mapToLong(List::size).sum());
        System.out.println("token streaming: " + POSTS + " answers, " + streams.values().stream()
                .mapToLong(List::size).sum() + " deltas in " + streams.size() + " streams; every final delta "
                + "before its answer; e.g. " + seen.values().iterator().next().getText());
    }
}
