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
import io.llavastream.stage.StageMachine;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The one stage driver on Kafka's mock clients: dead letters by reason, registry outages, isolation of a step
 * that throws, bounded retries of a record the broker refuses, oversized outputs, aborts with rewind, release of
 * the finished prefix only, rebalances, fencing and shutdown.
 */
class StageDriverTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05.006Z"), ZoneOffset.UTC);
    static final String TOPIC = Topics.VISION_REQUESTS.name();
    static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
    static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final AvroSerde<ImageTask> tasks = Topics.VISION_REQUESTS.valueSerde(registry);
    final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    /** Refuses, at commit, every transaction holding an answer whose text is "poison". */
    final RefusingProducer producer = new RefusingProducer();
    /** Every record this test put on the input topic, to serve again after a rewind (the mock forgets them). */
    final List<ConsumerRecord<byte[], byte[]>> input = new ArrayList<>();
    StageDriver<ImageTask> driver;
    long seenAborts;

    static WorkerConfig config(int maxBatch) {
        return new WorkerConfig(Map.of(WorkerConfig.STAGE, "vision", WorkerConfig.BOOTSTRAP_SERVERS, "unused:9092",
                WorkerConfig.MAX_BATCH_SIZE, maxBatch, WorkerConfig.BATCH_LINGER_MS, 0, WorkerConfig.COMMIT_INTERVAL_MS, 0,
                WorkerConfig.RETRY_BACKOFF_MS, 0, WorkerConfig.RETRY_BACKOFF_MAX_MS, 0,
                WorkerConfig.MAX_RECORD_ATTEMPTS, 3));
    }

    private StageDriver<ImageTask> start(StageMachine<ImageTask> machine, SchemaRegistry reading) {
        driver = new StageDriver<>(machine, null, config(4), reading, consumer, producer, CLOCK);
        driver.start();
        consumer.rebalance(List.of(P0, P1));
        consumer.updateBeginningOffsets(Map.of(P0, 0L, P1, 0L));
        return driver;
    }

    private StageDriver<ImageTask> start(StageMachine<ImageTask> machine) {
        return start(machine, registry);
    }

    /** One driver loop; after an abort, the records from each rewound position are served again. */
    private void loop() {
        long aborts = driver.stats().snapshot().aborts();
        if (aborts > seenAborts) {
            seenAborts = aborts;
            input.stream().filter(r -> consumer.assignment().contains(new TopicPartition(r.topic(), r.partition())))
                    .forEach(consumer::addRecord);  // the mock skips those below the (rewound) position
        }
        driver.loop();
    }

    private void loops(int n) {
        for (int i = 0; i < n; i++) {
            loop();
        }
    }

    @Test
    void nullValuesNonAvroBytesAndUnknownSchemaIdsAreDeadLetteredWithTheirReasonAndTheOthersAnswered() {
        start(new TestRecords.EchoMachine(4));
        add(P0, 0, "a");
        byte[] key = {(byte) 0xFF, 'k'};  // not even UTF-8: must come back unchanged
        byte[] junk = "not avro at all".getBytes(StandardCharsets.UTF_8);
        byte[] unknownId = tasks.serialize(TOPIC, task("u", "x"));
        unknownId[4] = 99;  // schema id 99, never registered
        addRaw(P0, 1, "tomb".getBytes(StandardCharsets.UTF_8), null);
        addRaw(P0, 2, key, junk);
        addRaw(P0, 3, null, unknownId);
        add(P0, 4, "e");
        loops(3);
        assertThat(answers()).extracting(Answer::getText).containsExactly("a", "e");
        Map<String, DeadLetter> dead = deadLetters();
        assertThat(dead.keySet()).containsExactly("NULL_VALUE", "NOT_AVRO", "UNKNOWN_SCHEMA_ID");
        assertThat(dead.get("NULL_VALUE").getValue()).isNull();
        assertThat(bytes(dead.get("NOT_AVRO").getKey())).containsExactly(key);
        assertThat(bytes(dead.get("NOT_AVRO").getValue())).containsExactly(junk);
        assertThat(dead.get("NOT_AVRO").getOffset()).isEqualTo(2);
        assertThat(dead.get("NOT_AVRO").getStage()).isEqualTo("vision");
        assertThat(dead.get("NOT_AVRO").getFailedAt()).isEqualTo(CLOCK.instant());
        assertThat(bytes(dead.get("UNKNOWN_SCHEMA_ID").getValue())).containsExactly(unknownId);
        assertThat(committed(P0)).isEqualTo(5);
        assertThat(driver.stats().snapshot()).isEqualTo(new WorkerStats.Snapshot(5, 2, 3, 1, 0, 0, 0, 0));
    }

    @Test
    void aRegistryOutageDeadLettersNothingAndTheRecordsAreReadAgainOnceItIsBack() {
        boolean[] down = {true};
        SchemaRegistry flaky = new SchemaRegistry() {
            @Override
            public int register(String subject, Schema schema) {
                return registry.register(subject, schema);
            }

            @Override
            public Schema schemaById(int id) {
                if (down[0]) {
                    throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "connection refused");
                }
                return registry.schemaById(id);
            }
        };
        start(new TestRecords.EchoMachine(4), flaky);
        add(P0, 0, "a");
        add(P0, 1, "b");
        loop();
        assertThat(producer.history()).isEmpty();
        assertThat(consumer.position(P0)).isZero();
        assertThat(driver.stats().snapshot().aborts()).isEqualTo(1);
        loop();  // still down: read again, refused again, nothing dead-lettered
        down[0] = false;
        loops(2);
        assertThat(deadLetters()).isEmpty();
        assertThat(answers()).extracting(Answer::getText).containsExactly("a", "b");
        assertThat(committed(P0)).isEqualTo(2);
    }

    @Test
    void aStepThatThrowsIsIsolatedAndOnlyTheRecordThatFailsAloneIsAStageError() {
        TestRecords.EchoMachine machine = new TestRecords.EchoMachine(4);
        start(machine);
        add(P0, 0, "a");
        add(P0, 1, "throw-once");
        add(P0, 2, "throw");
        add(P0, 3, "d");
        loop();
        assertThat(machine.batchSizes).containsExactly(4, 1, 1, 1, 1);
        assertThat(answers()).extracting(Answer::getText).containsExactly("a", "throw-once",
                "error:STAGE_ERROR", "d");
        DeadLetter d = deadLetters().get("STAGE_ERROR");
        assertThat(d.getErrorMessage()).contains("boom on p0-2/0");
        assertThat(d.getOffset()).isEqualTo(2);
        assertThat(committed(P0)).isEqualTo(4);
    }

    @Test
    void aRecordTheBrokerRefusesEveryTimeIsDeadLetteredAsRepeatedFailureAfterMaxAttempts() {
        start(new TestRecords.EchoMachine(4));
        add(P0, 0, "a");
        add(P0, 1, "poison");
        add(P0, 2, "c");
        for (int i = 0; i < 20 && committed(P0) < 3; i++) {
            loop();
        }
        assertThat(producer.refusals).isEqualTo(3);  // the batch, then the poison alone twice
        assertThat(answers()).extracting(Answer::getText).containsExactly("a", "error:REPEATED_FAILURE", "c");
        DeadLetter d = deadLetters().get("REPEATED_FAILURE");
        assertThat(d.getOffset()).isEqualTo(1);
        assertThat(d.getErrorMessage()).contains("failed 3 times in a row").contains("broker refused");
        assertThat(deadLetters()).hasSize(1);
        assertThat(committed(P0)).isEqualTo(3);
    }

    @Test
    void anOversizedOutputIsAnOutputErrorForItsInputAloneAndNothingAborts() {
        start(new TestRecords.EchoMachine(4));
        add(P0, 0, "a");
        add(P0, 1, "huge");
        loop();
        assertThat(answers()).extracting(Answer::getText).containsExactly("a", "error:OUTPUT_ERROR");
        DeadLetter d = deadLetters().get("OUTPUT_ERROR");
        assertThat(d.getErrorMessage()).contains("over the " + Topics.MAX_RECORD_BYTES + "-byte record limit");
        assertThat(driver.stats().snapshot().aborts()).isZero();
        assertThat(committed(P0)).isEqualTo(2);
    }

    @Test
    void anAbortedCommitRewindsAndEveryRecordIsPublishedExactlyOnce() {
        start(new TestRecords.EchoMachine(4));
        add(P0, 0, "a");
        add(P0, 1, "b");
        add(P1, 0, "c");
        producer.commitTransactionException = new KafkaException("broker went away");
        loop();
        assertThat(producer.transactionAborted()).isTrue();
        assertThat(producer.history()).isEmpty();
        assertThat(consumer.position(P0)).isZero();
        assertThat(consumer.position(P1)).isZero();
        producer.commitTransactionException = null;
        loops(6);
        assertThat(answers()).extracting(Answer::getText).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(deadLetters()).isEmpty();
        assertThat(committed(P0)).isEqualTo(2);
        assertThat(committed(P1)).isEqualTo(1);
        assertThat(driver.stats().snapshot().records()).isEqualTo(3);
    }

    @Test
    void outputsAreReleasedOnlyForTheFinishedPrefixOfEachPartitionInOffsetOrder() {
        TestRecords.SlowEchoMachine machine = new TestRecords.SlowEchoMachine(8);
        start(machine);
        add(P0, 0, "steps:3");
        add(P0, 1, "steps:1");
        add(P0, 2, "steps:2");
        add(P1, 0, "steps:1");
        loop();  // P0@1 and P1@0 finish; P1 is released, P0 waits for its offset 0
        assertThat(answers()).extracting(Answer::getText).containsExactly("steps:1");
        assertThat(lastOffsets()).containsOnlyKeys(P1);
        assertThat(driver.stats().snapshot().inFlight()).isEqualTo(3);
        loop();  // P0@2 finishes, still behind P0@0
        assertThat(producer.commitCount()).isEqualTo(1);
        loop();  // P0@0 finishes: the whole prefix goes out in offset order
        assertThat(producer.commitCount()).isEqualTo(2);
        assertThat(answers()).extracting(a -> a.getTask().getTaskId()).containsExactly("p1-0/0", "p0-0/0",
                "p0-1/0", "p0-2/0");
        assertThat(committed(P0)).isEqualTo(3);
        assertThat(driver.stats().snapshot().inFlight()).isZero();
    }

    /** A crash during a step would make the next owner redo these records: the status must show them then. */
    @Test
    void theInFlightCountIncludesRecordsJustReadWhileTheMachineWorksOnThem() {
        TestRecords.SlowEchoMachine machine = new TestRecords.SlowEchoMachine(8);
        List<Long> seenDuringSteps = new ArrayList<>();
        machine.onStep = () -> seenDuringSteps.add(driver.stats().snapshot().inFlight());
        start(machine);
        add(P0, 0, "steps:2");
        add(P0, 1, "steps:2");
        add(P1, 0, "steps:2");
        loop();
        assertThat(seenDuringSteps).containsExactly(3L);
    }

    @Test
    void aRevokedPartitionsUnfinishedWorkIsDroppedUnpublishedAndTheRestGoesOn() {
        TestRecords.SlowEchoMachine machine = new TestRecords.SlowEchoMachine(8);
        start(machine);
        add(P0, 0, "x");
        add(P0, 1, "steps:4");
        add(P1, 0, "steps:3");
        loop();  // P0@0 released; P0@1 and P1@0 running
        assertThat(lastOffsets().get(P0).offset()).isEqualTo(1);
        consumer.rebalance(List.of(P1));  // P0 goes to another worker
        loops(3);
        assertThat(answers()).extracting(a -> a.getTask().getTaskId()).containsExactly("p0-0/0", "p1-0/0");
        assertThat(lastOffsets()).containsOnlyKeys(P1);
        assertThat(machine.inFlight()).isZero();
        assertThat(driver.stats().snapshot().inFlight()).isZero();
    }

    @Test
    void aPublishThatFailsJustBeforeARevocationIsRecoveredFromAndTheRevokedWorkIsLeftToItsNewOwner() {
        start(new TestRecords.EchoMachine(4));
        add(P0, 0, "a");
        add(P0, 1, "b");
        producer.commitTransactionException = new KafkaException("broker went away");
        loop();  // aborted: from now on one record per transaction until both are through
        producer.commitTransactionException = null;
        loop();  // both answered again; only P0@0 is released, P0@1 waits for the next transaction
        assertThat(answers()).extracting(Answer::getText).containsExactly("a");
        producer.commitTransactionException = new KafkaException("broker went away again");
        consumer.rebalance(List.of(P1));  // the publish before revoking P0 fails too
        producer.commitTransactionException = null;
        add(P1, 0, "c");
        loops(3);
        assertThat(answers()).extracting(Answer::getText).containsExactly("a", "c");
        assertThat(committed(P0)).isEqualTo(1);
        assertThat(committed(P1)).isEqualTo(1);
        assertThat(driver.stats().snapshot().aborts()).isEqualTo(2);
        assertThat(driver.stats().snapshot().inFlight()).isZero();
    }

    @Test
    void aFencedProducerStopsTheWorkerAndClosesItsClients() {
        driver = new StageDriver<>(new TestRecords.EchoMachine(4), null, config(4), registry, consumer, producer,
                CLOCK);
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.updateBeginningOffsets(Map.of(P0, 0L));
            add(P0, 0, "a");
            producer.fenceProducer();
        });
        assertThatThrownBy(driver::run).isInstanceOf(ProducerFencedException.class);
        assertThat(producer.commitCount()).isZero();
        assertThat(consumer.closed()).isTrue();
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void stopEndsRunAndClosesTheClients() throws InterruptedException {
        driver = new StageDriver<>(new TestRecords.EchoMachine(4), null, config(4), registry, consumer, producer,
                CLOCK);
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(P0));
            consumer.updateBeginningOffsets(Map.of(P0, 0L));
            add(P0, 0, "a");
        });
        Thread t = new Thread(driver::run);
        t.start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (producer.commitCount() == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        driver.stop();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(consumer.closed()).isTrue();
        assertThat(producer.closed()).isTrue();
        assertThat(producer.commitCount()).isEqualTo(1);
    }

    static ImageTask task(String postId, String contentType) {
        ImageTask t = TestRecords.imageTask(postId, 0, 1, new byte[] {1, 2, 3});
        t.setContentType(contentType);
        return t;
    }

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        long millis = CLOCK.millis();

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    /** An echo machine that records which inputs the driver said were committed. */
    static final class CommitRecordingMachine extends TestRecords.EchoMachine {
        final List<Object> committed = new ArrayList<>();

        CommitRecordingMachine() {
            super(4);
        }

        @Override
        public void committed(java.util.Collection<?> tags) {
            committed.addAll(tags);
        }
    }

    @Test
    void withACommitIntervalFinishedWorkWaitsAndGoesOutTogetherInOneTransactionThenTheMachineHearsOfIt() {
        ManualClock clock = new ManualClock();
        Map<String, Object> settings = new HashMap<>(config(1).originals());
        settings.put(WorkerConfig.COMMIT_INTERVAL_MS, 100L);
        CommitRecordingMachine machine = new CommitRecordingMachine();
        List<String> hook = new ArrayList<>();
        driver = new StageDriver<>(machine, null, new PartitionHook() {
            @Override
            public void assigned(java.util.Collection<TopicPartition> partitions) {
                hook.add("assigned " + partitions);
            }

            @Override
            public void revoked(java.util.Collection<TopicPartition> partitions) {
                hook.add("revoked " + partitions);
            }
        }, new WorkerConfig(settings), registry, consumer, producer, null, clock);
        driver.start();
        consumer.rebalance(List.of(P0));
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        add(P0, 0, "a");
        loop();
        assertThat(producer.commitCount()).as("the first transaction is due at once").isEqualTo(1);
        assertThat(machine.committed).hasSize(1);
        add(P0, 1, "b");
        add(P0, 2, "c");
        loops(4);
        clock.millis += 60;
        loops(2);
        assertThat(producer.commitCount()).as("b and c wait for commit.interval.ms").isEqualTo(1);
        assertThat(machine.committed).hasSize(1);
        clock.millis += 40;
        loop();
        assertThat(producer.commitCount()).as("b and c in one transaction").isEqualTo(2);
        assertThat(answers()).extracting(Answer::getText).containsExactly("a", "b", "c");
        assertThat(committed(P0)).isEqualTo(3);
        assertThat(machine.committed).hasSize(3);
        consumer.rebalance(List.of(P1));
        assertThat(hook).containsExactly("assigned [" + P0 + "]", "revoked [" + P0 + "]", "assigned [" + P1 + "]");
    }

    @Test
    void previewsGoOutOnTheirOwnProducerOutsideTheTransactionAndAreAcknowledgedBeforeItCommits() {
        MockProducer<byte[], byte[]> previews = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer());
        List<Integer> previewsAtCommit = new ArrayList<>();
        MockProducer<byte[], byte[]> transactional = new MockProducer<>(true, null, new ByteArraySerializer(),
                new ByteArraySerializer()) {
            @Override
            public synchronized void commitTransaction() {
                previewsAtCommit.add(previews.history().size());
                super.commitTransaction();
            }
        };
        TestRecords.EchoMachine machine = new TestRecords.EchoMachine(4) {
            final List<io.llavastream.stage.Output<?>> made = new ArrayList<>();

            @Override
            public List<io.llavastream.stage.StageResult> process(List<ImageTask> batch) {
                batch.forEach(t -> made.add(PreviewPublisherTest.delta(t.getTask().getTaskId(), 0, "x")));
                return super.process(batch);
            }

            @Override
            public List<io.llavastream.stage.Output<?>> drainPreviews() {
                List<io.llavastream.stage.Output<?>> out = new ArrayList<>(made);
                made.clear();
                return out;
            }
        };
        driver = new StageDriver<>(machine, null, PartitionHook.NONE, config(4), registry, consumer, transactional,
                () -> previews, CLOCK);
        driver.start();
        consumer.rebalance(List.of(P0));
        consumer.updateBeginningOffsets(Map.of(P0, 0L));
        add(P0, 0, "a");
        add(P0, 1, "b");
        loops(3);
        assertThat(previews.history()).extracting(ProducerRecord::topic).containsExactly(
                Topics.ANSWER_TOKENS.name(), Topics.ANSWER_TOKENS.name());
        assertThat(previews.transactionInitialized()).as("the preview producer is not transactional").isFalse();
        assertThat(transactional.history()).extracting(ProducerRecord::topic).containsOnly(Topics.ANSWERS.name());
        assertThat(previewsAtCommit).as("previews sent before the answers' transaction commits").containsExactly(2);
        assertThat(driver.stats().previewsSent()).isEqualTo(2);
    }

    private void add(TopicPartition tp, long offset, String contentType) {
        ImageTask t = task("p" + tp.partition() + "-" + offset, contentType);
        addRaw(tp, offset, t.getTask().getTaskId().getBytes(StandardCharsets.UTF_8), tasks.serialize(TOPIC, t));
    }

    private void addRaw(TopicPartition tp, long offset, byte[] key, byte[] value) {
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>(TOPIC, tp.partition(), offset, key, value);
        input.add(r);
        consumer.addRecord(r);
    }

    private List<Answer> answers() {
        AvroSerde<Answer> serde = Topics.ANSWERS.valueSerde(registry);
        return producer.history().stream().filter(r -> r.topic().equals(Topics.ANSWERS.name()))
                .map(r -> serde.deserialize(r.topic(), r.value())).toList();
    }

    /** The committed dead letters by error type, in the order they were published. */
    private Map<String, DeadLetter> deadLetters() {
        AvroSerde<DeadLetter> serde = Topics.DEAD_LETTERS.valueSerde(registry);
        Map<String, DeadLetter> out = new java.util.LinkedHashMap<>();
        producer.history().stream().filter(r -> r.topic().equals(Topics.DEAD_LETTERS.name()))
                .map(r -> serde.deserialize(r.topic(), r.value())).forEach(d -> out.put(d.getErrorType(), d));
        return out;
    }

    /** The offsets of the last committed transaction. */
    private Map<TopicPartition, OffsetAndMetadata> lastOffsets() {
        List<Map<String, Map<TopicPartition, OffsetAndMetadata>>> h = producer.consumerGroupOffsetsHistory();
        return h.isEmpty() ? Map.of() : h.get(h.size() - 1).values().iterator().next();
    }

    /** The offset committed for {@code tp} by the transactions so far (0 when none). */
    private long committed(TopicPartition tp) {
        Map<TopicPartition, Long> out = new HashMap<>();
        for (Map<String, Map<TopicPartition, OffsetAndMetadata>> m : producer.consumerGroupOffsetsHistory()) {
            m.values().forEach(offsets -> offsets.forEach((p, o) -> out.merge(p, o.offset(), Math::max)));
        }
        return out.getOrDefault(tp, 0L);
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** A transactional mock producer whose broker refuses every transaction holding a "poison" record. */
    static final class RefusingProducer extends MockProducer<byte[], byte[]> {
        boolean poisoned;
        int refusals;

        RefusingProducer() {
            super(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> r) {
            if (r.topic().equals(Topics.ANSWERS.name())
                    && new String(r.value(), StandardCharsets.ISO_8859_1).contains("poison")) {
                poisoned = true;
            }
            return super.send(r);
        }

        @Override
        public void commitTransaction() {
            if (poisoned) {
                refusals++;
                throw new RecordTooLargeException("broker refused the transaction's records");
            }
            super.commitTransaction();
        }

        @Override
        public void abortTransaction() {
            poisoned = false;
            super.abortTransaction();
        }
    }
}
