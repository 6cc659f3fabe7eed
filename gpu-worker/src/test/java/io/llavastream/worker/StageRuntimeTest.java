package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.schemas.ImageTask;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The poll-compute-transaction loop on Kafka's mock clients: commits, aborts with rewind, fencing, shutdown. */
class StageRuntimeTest {
    static final String TOPIC = Topics.VISION_REQUESTS.name();
    static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final AvroSerde<ImageTask> tasks = Topics.VISION_REQUESTS.valueSerde(registry);
    final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    final MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(),
            new ByteArraySerializer());
    final TestRecords.EchoStage stage = new TestRecords.EchoStage();
    StageRuntime<ImageTask> runtime;

    @BeforeEach
    void create() {
        WorkerConfig config = new WorkerConfig(Map.of(WorkerConfig.STAGE, "vision",
                WorkerConfig.BOOTSTRAP_SERVERS, "unused:9092", WorkerConfig.MAX_BATCH_SIZE, 4,
                WorkerConfig.BATCH_LINGER_MS, 0, WorkerConfig.ABORT_BACKOFF_MAX_MS, 0));
        runtime = new StageRuntime<>(stage, config, registry, consumer, producer, Clock.systemUTC());
    }

    /** Subscribes and initialises transactions, then hands the consumer both partitions. */
    private void start() {
        runtime.start();
        assign();
    }

    private void assign() {
        consumer.rebalance(List.of(P0, P1));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
    }

    @Test
    void aBatchIsOneTransactionWithItsOutputsDeadLettersAndOffsets() {
        start();
        add(P0, 0, "a");
        add(P0, 1, "fail");
        add(P1, 0, "c");
        runtime.step();
        assertThat(producer.commitCount()).isEqualTo(1);
        assertThat(producer.history()).extracting(ProducerRecord::topic).containsExactlyInAnyOrder(
                Topics.ANSWERS.name(), Topics.ANSWERS.name(), Topics.DEAD_LETTERS.name(), Topics.ANSWERS.name());
        Map<TopicPartition, OffsetAndMetadata> offsets = committedOffsets();
        assertThat(offsets.get(P0).offset()).isEqualTo(2);
        assertThat(offsets.get(P1).offset()).isEqualTo(1);
        assertThat(runtime.stats().snapshot()).isEqualTo(new WorkerStats.Snapshot(3, 3, 1, 1, 0));
    }

    @Test
    void anAbortedTransactionRewindsAndTheBatchIsProducedExactlyOnce() {
        start();
        add(P0, 0, "a");
        add(P0, 1, "b");
        producer.commitTransactionException = new KafkaException("broker went away");
        runtime.step();
        assertThat(producer.transactionAborted()).isTrue();
        assertThat(producer.history()).isEmpty();
        assertThat(consumer.position(P0)).isZero();
        producer.commitTransactionException = null;
        add(P0, 0, "a");  // the mock consumer forgets polled records: the broker would serve them again
        add(P0, 1, "b");
        runtime.step();
        assertThat(producer.commitCount()).isEqualTo(1);
        assertThat(producer.history()).extracting(r -> new String(r.key(), StandardCharsets.UTF_8))
                .containsExactly("p0-0/0", "p0-1/0");
        assertThat(committedOffsets().get(P0).offset()).isEqualTo(2);
        assertThat(runtime.stats().snapshot().aborts()).isEqualTo(1);
        assertThat(runtime.stats().snapshot().records()).isEqualTo(2);
    }

    @Test
    void aFencedProducerStopsTheWorkerWithoutCommitting() {
        start();
        add(P0, 0, "a");
        producer.fenceProducer();
        assertThatThrownBy(runtime::step).isInstanceOf(ProducerFencedException.class);
        assertThat(producer.commitCount()).isZero();
    }

    @Test
    void pendingRecordsOfARevokedPartitionAreDroppedUncommitted() {
        WorkerConfig lingering = new WorkerConfig(Map.of(WorkerConfig.STAGE, "vision",
                WorkerConfig.BOOTSTRAP_SERVERS, "unused:9092", WorkerConfig.MAX_BATCH_SIZE, 2,
                WorkerConfig.BATCH_LINGER_MS, 60_000));
        MockConsumer<byte[], byte[]> c = new MockConsumer<>("earliest");
        StageRuntime<ImageTask> r = new StageRuntime<>(stage, lingering, registry, c, producer, Clock.systemUTC());
        r.start();
        c.rebalance(List.of(P0));
        c.updateBeginningOffsets(Map.of(P0, 0L));
        c.addRecord(record(P0, 0, "a"));
        r.step();  // pending, lingering
        c.rebalance(List.of(P1));
        c.updateBeginningOffsets(Map.of(P1, 0L));
        c.addRecord(record(P1, 0, "b"));
        r.step();
        assertThat(stage.batchSizes).as("P0's record was dropped, so one record is not a batch of 2").isEmpty();
        c.addRecord(record(P1, 1, "c"));
        r.step();
        assertThat(producer.history()).extracting(rec -> new String(rec.key(), StandardCharsets.UTF_8))
                .containsExactly("p1-0/0", "p1-1/0");
        assertThat(committedOffsets()).containsOnlyKeys(P1);
    }

    @Test
    void stopEndsRunAndClosesTheClients() {
        consumer.schedulePollTask(() -> {
            assign();
            add(P0, 0, "a");
        });
        Thread t = new Thread(runtime::run);
        t.start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (producer.commitCount() == 0 && System.currentTimeMillis() < deadline) {
            Thread.onSpinWait();
        }
        runtime.stop();
        assertThat(join(t)).isTrue();
        assertThat(consumer.closed()).isTrue();
        assertThat(producer.closed()).isTrue();
        assertThat(producer.commitCount()).isEqualTo(1);
    }

    @Test
    void nextOffsetsPointPastTheLastRecordOfEachPartition() {
        List<ConsumerRecord<byte[], byte[]>> batch = List.of(record(P0, 5, "a"), record(P1, 2, "b"),
                record(P0, 6, "c"));
        assertThat(StageRuntime.nextOffsets(batch)).containsOnlyKeys(P0, P1);
        assertThat(StageRuntime.nextOffsets(batch).get(P0).offset()).isEqualTo(7);
        assertThat(StageRuntime.firstOffsets(batch)).isEqualTo(Map.of(P0, 5L, P1, 2L));
    }

    private void add(TopicPartition tp, long offset, String contentType) {
        consumer.addRecord(record(tp, offset, contentType));
    }

    private ConsumerRecord<byte[], byte[]> record(TopicPartition tp, long offset, String contentType) {
        ImageTask t = TestRecords.imageTask("p" + tp.partition() + "-" + offset, 0, 1, new byte[] {1}).value();
        t.setContentType(contentType);
        return new ConsumerRecord<>(TOPIC, tp.partition(), offset,
                t.getTask().getTaskId().getBytes(StandardCharsets.UTF_8), tasks.serialize(TOPIC, t));
    }

    private Map<TopicPartition, OffsetAndMetadata> committedOffsets() {
        List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> h = producer.consumerGroupOffsetsHistory();
        assertThat(h).isNotEmpty();
        return h.get(h.size() - 1).values().iterator().next();
    }

    private static boolean join(Thread t) {
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        return !t.isAlive();
    }
}
