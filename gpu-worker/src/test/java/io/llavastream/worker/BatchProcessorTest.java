package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.ImageTask;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class BatchProcessorTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05.006Z"), ZoneOffset.UTC);
    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final AvroSerde<ImageTask> tasks = Topics.VISION_REQUESTS.valueSerde(registry);
    final TestRecords.EchoStage stage = new TestRecords.EchoStage();
    final List<ConsumerRecord<byte[], byte[]>> in = new ArrayList<>();

    @Test
    void goodRecordsBecomeOutputsKeyedAsTheStageSays() {
        add("p1", "a");
        add("p2", "b");
        ProcessedBatch out = new BatchProcessor<>(stage, registry, 8, CLOCK).process(in);
        assertThat(out.inputs()).isEqualTo(2);
        assertThat(out.deadLetters()).isZero();
        assertThat(out.records()).extracting(ProducerRecord::topic).containsOnly(Topics.ANSWERS.name());
        assertThat(out.records()).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
                .containsExactly("p1/0", "p2/0");
        assertThat(answers(out)).extracting(Answer::getText).containsExactly("a", "b");
    }

    @Test
    void computesInMicroBatchesOfAtMostTheMaximum() {
        for (int i = 0; i < 7; i++) {
            add("p" + i, "x");
        }
        new BatchProcessor<>(stage, registry, 3, CLOCK).process(in);
        assertThat(stage.batchSizes).containsExactly(3, 3, 1);
    }

    @Test
    void bytesThatAreNotAvroAreDeadLetteredWithTheirOriginalBytesAndTheBatchGoesOn() {
        add("p1", "a");
        byte[] key = {(byte) 0xFF, 'k'};  // not even UTF-8: must come back unchanged
        byte[] junk = "not avro at all".getBytes(StandardCharsets.UTF_8);
        in.add(new ConsumerRecord<>(Topics.VISION_REQUESTS.name(), 4, 77, key, junk));
        add("p3", "c");
        ProcessedBatch out = new BatchProcessor<>(stage, registry, 8, CLOCK).process(in);
        assertThat(out.deadLetters()).isEqualTo(1);
        assertThat(answers(out)).extracting(Answer::getText).containsExactly("a", "c");
        ProducerRecord<byte[], byte[]> dlq = only(out, Topics.DEAD_LETTERS.name());
        assertThat(dlq.key()).containsExactly(key);
        DeadLetter d = Topics.DEAD_LETTERS.valueSerde(registry).deserialize(dlq.topic(), dlq.value());
        assertThat(d.getTopic()).isEqualTo(Topics.VISION_REQUESTS.name());
        assertThat(d.getPartition()).isEqualTo(4);
        assertThat(d.getOffset()).isEqualTo(77);
        assertThat(bytes(d.getKey())).containsExactly(key);
        assertThat(bytes(d.getValue())).containsExactly(junk);
        assertThat(d.getErrorType()).isEqualTo("NOT_AVRO");
        assertThat(d.getErrorMessage()).contains("magic byte");
        assertThat(d.getStage()).isEqualTo("echo");
        assertThat(d.getFailedAt()).isEqualTo(CLOCK.instant());
    }

    @Test
    void anUnknownSchemaIdIsDeadLettered() {
        byte[] value = tasks.serialize(Topics.VISION_REQUESTS.name(), TestRecords.imageTask("p", 0, 1,
                new byte[] {1}).value());
        value[4] = 99;  // schema id 99, never registered
        in.add(new ConsumerRecord<>(Topics.VISION_REQUESTS.name(), 0, 0, null, value));
        DeadLetter d = deadLetter(new BatchProcessor<>(stage, registry, 8, CLOCK).process(in));
        assertThat(d.getErrorType()).isEqualTo("UNKNOWN_SCHEMA_ID");
        assertThat(bytes(d.getValue())).containsExactly(value);
        assertThat(d.getKey()).isNull();
    }

    @Test
    void aNullValueIsDeadLettered() {
        in.add(new ConsumerRecord<>(Topics.VISION_REQUESTS.name(), 0, 0, "k".getBytes(), null));
        DeadLetter d = deadLetter(new BatchProcessor<>(stage, registry, 8, CLOCK).process(in));
        assertThat(d.getErrorType()).isEqualTo("NULL_VALUE");
        assertThat(d.getValue()).isNull();
    }

    @Test
    void aRecordTheStageFailsIsDeadLetteredAndItsOutputsStillGoOut() {
        add("p1", "a");
        add("p2", "fail");
        ProcessedBatch out = new BatchProcessor<>(stage, registry, 8, CLOCK).process(in);
        assertThat(answers(out)).extracting(Answer::getText).containsExactly("a", "error:BAD_TYPE");
        DeadLetter d = deadLetter(out);
        assertThat(d.getErrorType()).isEqualTo("BAD_TYPE");
        assertThat(bytes(d.getValue())).containsExactly(in.get(1).value());
        assertThat(d.getOffset()).isEqualTo(1);
    }

    @Test
    void whenTheStageThrowsTheInputsAreRetriedAloneAndOnlyTheCulpritFails() {
        add("p1", "a");
        add("p2", "throw");
        add("p3", "c");
        ProcessedBatch out = new BatchProcessor<>(stage, registry, 8, CLOCK).process(in);
        assertThat(stage.batchSizes).containsExactly(3, 1, 1, 1);
        assertThat(answers(out)).extracting(Answer::getText).containsExactly("a", "error:STAGE_ERROR", "c");
        DeadLetter d = deadLetter(out);
        assertThat(d.getErrorType()).isEqualTo("STAGE_ERROR");
        assertThat(d.getErrorMessage()).contains("boom on p2/0");
    }

    @Test
    void anUnreachableRegistryFailsTheWholeBatchInsteadOfDeadLetteringGoodRecords() {
        add("p1", "a");
        SchemaRegistry down = new SchemaRegistry() {
            @Override
            public int register(String subject, Schema schema) {
                return registry.register(subject, schema);
            }

            @Override
            public Schema schemaById(int id) {
                throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "connection refused");
            }
        };
        assertThatThrownBy(() -> new BatchProcessor<>(stage, down, 8, CLOCK).process(in))
                .isInstanceOf(SerdeException.class).hasMessageContaining("connection refused");
    }

    private void add(String postId, String contentType) {
        ImageTask t = TestRecords.imageTask(postId, 0, 1, new byte[] {1, 2, 3}).value();
        t.setContentType(contentType);
        byte[] key = t.getTask().getTaskId().getBytes(StandardCharsets.UTF_8);
        in.add(new ConsumerRecord<>(Topics.VISION_REQUESTS.name(), 0, in.size(), key,
                tasks.serialize(Topics.VISION_REQUESTS.name(), t)));
    }

    private List<Answer> answers(ProcessedBatch out) {
        AvroSerde<Answer> serde = Topics.ANSWERS.valueSerde(registry);
        return out.records().stream().filter(r -> r.topic().equals(Topics.ANSWERS.name()))
                .map(r -> serde.deserialize(r.topic(), r.value())).toList();
    }

    private DeadLetter deadLetter(ProcessedBatch out) {
        assertThat(out.deadLetters()).isEqualTo(1);
        ProducerRecord<byte[], byte[]> r = only(out, Topics.DEAD_LETTERS.name());
        return Topics.DEAD_LETTERS.valueSerde(registry).deserialize(r.topic(), r.value());
    }

    private static ProducerRecord<byte[], byte[]> only(ProcessedBatch out, String topic) {
        List<ProducerRecord<byte[], byte[]>> rs = out.records().stream().filter(r -> r.topic().equals(topic))
                .toList();
        assertThat(rs).hasSize(1);
        return rs.get(0);
    }

    static byte[] bytes(java.nio.ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
