package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.AnswerToken;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.stage.Output;
import io.llavastream.topics.Topics;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The preview publisher on Kafka's mock producer: previews go out in order and count as sent when acknowledged;
 * a preview that cannot be serialized, a producer that refuses sends or cannot be made, and a failed delivery
 * drop previews and count them without ever throwing; a refused send pauses previews for a while; a flush waits
 * at most its timeout.
 */
class PreviewPublisherTest {
    final StageDriverTest.ManualClock clock = new StageDriverTest.ManualClock();
    final WorkerStats stats = new WorkerStats();
    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(),
            new ByteArraySerializer());

    static Output<?> delta(String task, int seq, String text) {
        return new Output<>(Topics.ANSWER_TOKENS, task, AnswerToken.newBuilder().setTaskId(task).setPostId("p")
                .setImageIndex(0).setStreamId("s").setSeq(seq).setTokenIds(List.of(7L)).setDelta(text)
                .setFinal$(false).setModelId("m").setEmittedAt(Instant.EPOCH).build());
    }

    PreviewPublisher publisher(SchemaRegistry r, long flushTimeoutMs) {
        return new PreviewPublisher("decode", () -> producer, new OutputWriter(r, new DeadLetters("decode", clock)),
                stats, clock, flushTimeoutMs);
    }

    @Test
    void previewsGoOutInOrderOnTheTokenTopicAndCountAsSentWhenAcknowledged() {
        PreviewPublisher p = publisher(registry, 0);
        p.send(List.of(delta("a/0", 0, "a"), delta("b/0", 0, "b"), delta("a/0", 1, " red")));
        assertThat(producer.history()).extracting(r -> r.topic()).containsOnly(Topics.ANSWER_TOKENS.name());
        var serde = Topics.ANSWER_TOKENS.valueSerde(registry);
        assertThat(producer.history()).extracting(r -> serde.deserialize(r.topic(), r.value()).getDelta())
                .containsExactly("a", "b", " red");
        assertThat(producer.history().get(0).key()).isEqualTo("a/0".getBytes());
        assertThat(stats.previewsSent()).as("not acknowledged yet").isZero();
        while (producer.completeNext()) {
            // acknowledge them all
        }
        assertThat(stats.previewsSent()).isEqualTo(3);
        assertThat(stats.previewsDropped()).isZero();
        assertThat(producer.transactionInFlight()).isFalse();
    }

    @Test
    void aFlushWaitsAtMostItsTimeoutForUnacknowledgedPreviews() {
        PreviewPublisher p = publisher(registry, 50);
        p.send(List.of(delta("a/0", 0, "a")));
        long t0 = System.nanoTime();
        p.flush();  // nothing acknowledges it: the flush gives up after 50 ms
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(40L, 2_000L);
        producer.completeNext();
        assertThat(stats.previewsSent()).isEqualTo(1);
        t0 = System.nanoTime();
        p.flush();  // nothing left to wait for
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(40L);
    }

    @Test
    void aPreviewThatCannotBeSerializedIsDroppedAndCountedAndTheNextOneStillGoesOut() {
        AtomicInteger refusals = new AtomicInteger(1);
        SchemaRegistry refusing = new SchemaRegistry() {
            @Override
            public int register(String subject, Schema schema) {
                if (refusals.getAndDecrement() > 0) {
                    throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "connection refused");
                }
                return registry.register(subject, schema);
            }

            @Override
            public Schema schemaById(int id) {
                return registry.schemaById(id);
            }
        };
        PreviewPublisher p = publisher(refusing, 0);
        p.send(List.of(delta("a/0", 0, "a"), delta("a/0", 1, " red")));
        assertThat(stats.previewsDropped()).isEqualTo(1);
        assertThat(producer.history()).hasSize(1);
    }

    @Test
    void aRefusedSendIsDroppedAndPausesPreviewsForAWhileThenTheyGoOutAgain() {
        PreviewPublisher p = publisher(registry, 0);
        producer.sendException = new org.apache.kafka.common.errors.TimeoutException("metadata after 100 ms");
        p.send(List.of(delta("a/0", 0, "a"), delta("a/0", 1, " red"), delta("a/0", 2, " ball")));
        assertThat(stats.previewsDropped()).as("one refused, two dropped while paused").isEqualTo(3);
        producer.sendException = null;
        clock.millis += PreviewPublisher.PAUSE_MS - 1;
        p.send(List.of(delta("a/0", 3, ".")));
        assertThat(stats.previewsDropped()).as("still paused").isEqualTo(4);
        assertThat(producer.history()).isEmpty();
        clock.millis += 1;
        p.send(List.of(delta("b/0", 0, "b")));
        assertThat(producer.history()).hasSize(1);
        assertThat(stats.previewsDropped()).isEqualTo(4);
    }

    @Test
    void aClosedProducerOrOneThatCannotBeMadeNeverThrowsToTheStage() {
        PreviewPublisher p = publisher(registry, 0);
        p.send(List.of(delta("a/0", 0, "a")));
        producer.close();
        p.send(List.of(delta("a/0", 1, " red")));
        assertThat(stats.previewsDropped()).isEqualTo(1);
        p.flush();
        PreviewPublisher unmade = new PreviewPublisher("decode", () -> {
            throw new org.apache.kafka.common.KafkaException("bad bootstrap.servers");
        }, new OutputWriter(registry, new DeadLetters("decode", clock)), stats, clock, 0);
        unmade.send(List.of(delta("a/0", 0, "a"), delta("a/0", 1, " red")));
        unmade.send(List.of(delta("a/0", 2, ".")));
        assertThat(stats.previewsDropped()).isEqualTo(4);
        unmade.close();
    }

    @Test
    void aFailedDeliveryIsCountedAsDropped() {
        PreviewPublisher p = publisher(registry, 0);
        p.send(List.of(delta("a/0", 0, "a"), delta("a/0", 1, " red")));
        producer.errorNext(new NetworkException("connection lost"));
        producer.completeNext();
        p.flush();
        assertThat(stats.previewsDropped()).isEqualTo(1);
        assertThat(stats.previewsSent()).isEqualTo(1);
    }

    @Test
    void previewsTurnedOffAreIgnoredUncounted() {
        PreviewPublisher off = PreviewPublisher.off("decode", stats);
        off.send(List.of(delta("a/0", 0, "a")));
        off.flush();
        off.close();
        assertThat(stats.previewsDropped()).isZero();
        assertThat(stats.previewsSent()).isZero();
    }
}
