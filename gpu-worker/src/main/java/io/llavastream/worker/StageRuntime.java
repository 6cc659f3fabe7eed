package io.llavastream.worker;

import io.llavastream.serde.SchemaRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link Stage} on Kafka, exactly once per batch: poll (read_committed), assemble a batch, compute, then
 * in one transaction send every output and dead letter and the batch's offsets
 * ({@code sendOffsetsToTransaction} with the consumer's group metadata, which fences zombies of older group
 * generations). When a transaction aborts, the consumer is rewound to the committed offsets and the batch is
 * computed again; its aborted outputs are invisible to read_committed consumers, so nothing is lost and nothing is
 * seen twice. Fatal producer errors (fenced by a process with the same transactional.id, authorization) stop it.
 *
 * <p>{@link #run} blocks until {@link #stop} (from any thread, e.g. a shutdown hook), then closes both clients.
 */
public final class StageRuntime<I extends SpecificRecord> implements Worker {
    private static final Logger LOG = LoggerFactory.getLogger(StageRuntime.class);

    private final Stage<I> stage;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final BatchProcessor<I> processor;
    private final BatchAssembler assembler;
    private final Clock clock;
    private final long pollTimeoutMs;
    private final long abortBackoffMaxMs;
    private final WorkerStats stats = new WorkerStats();
    private volatile boolean stopping;
    private boolean inTransaction;
    private int abortsInARow;

    StageRuntime(Stage<I> stage, WorkerConfig config, SchemaRegistry registry, Consumer<byte[], byte[]> consumer,
                 Producer<byte[], byte[]> producer, Clock clock) {
        this.stage = stage;
        this.consumer = consumer;
        this.producer = producer;
        this.processor = new BatchProcessor<>(stage, registry, config.maxBatchSize(), clock);
        this.assembler = new BatchAssembler(config.maxBatchSize(), config.lingerMs());
        this.clock = clock;
        this.pollTimeoutMs = config.pollTimeoutMs();
        this.abortBackoffMaxMs = config.abortBackoffMaxMs();
    }

    /** A runtime on real Kafka clients built from {@code config}. */
    public static <I extends SpecificRecord> StageRuntime<I> create(Stage<I> stage, WorkerConfig config,
                                                                    SchemaRegistry registry) {
        LOG.info("{}: consuming {} as group {}, transactional.id {}", stage.name(), stage.input().name(),
                config.groupId(), config.transactionalId());
        return new StageRuntime<>(stage, config, registry, new KafkaConsumer<>(config.consumerProperties()),
                new KafkaProducer<>(config.producerProperties()), Clock.systemUTC());
    }

    /** Consumes, computes and commits until {@link #stop}; closes the clients on the way out. */
    @Override
    public void run() {
        try {
            start();
            while (!stopping) {
                step();
            }
        } catch (WakeupException e) {
            if (!stopping) {
                throw e;
            }
        } finally {
            closeClients();
        }
    }

    /** Asks {@link #run} to return: safe from any thread; a poll in progress is woken up. */
    @Override
    public void stop() {
        stopping = true;
        consumer.wakeup();
    }

    @Override
    public WorkerStats stats() {
        return stats;
    }

    void start() {
        consumer.subscribe(List.of(stage.input().name()), new Rebalance());
        producer.initTransactions();
    }

    /** One poll; when a batch is ready, one transaction. */
    void step() {
        long timeout = assembler.pollTimeoutMs(clock.millis(), pollTimeoutMs);
        assembler.add(consumer.poll(Duration.ofMillis(timeout)), clock.millis());
        if (assembler.ready(clock.millis())) {
            commit(assembler.drain());
        }
    }

    private void commit(List<ConsumerRecord<byte[], byte[]>> batch) {
        try {
            ProcessedBatch out = processor.process(batch);
            transact(out.records(), batch);
            stats.committed(out);
            abortsInARow = 0;
        } catch (WakeupException | InterruptException | ProducerFencedException | FencedInstanceIdException
                 | OutOfOrderSequenceException | AuthorizationException | UnsupportedVersionException e) {
            LOG.error("{}: stopping: {}", stage.name(), e.toString());
            throw e;
        } catch (RuntimeException e) {
            LOG.warn("{}: batch of {} records aborted, will retry: {}", stage.name(), batch.size(), e.toString());
            abortQuietly();
            stats.aborted();
            rewind(batch);
            backOff();
        }
    }

    private void transact(List<ProducerRecord<byte[], byte[]>> records, List<ConsumerRecord<byte[], byte[]>> batch) {
        producer.beginTransaction();
        inTransaction = true;
        for (ProducerRecord<byte[], byte[]> r : records) {
            producer.send(r);  // failures surface in commitTransaction
        }
        producer.sendOffsetsToTransaction(nextOffsets(batch), consumer.groupMetadata());
        producer.commitTransaction();
        inTransaction = false;
    }

    /** Per partition, the offset after the batch's last record: where the group resumes. */
    static Map<TopicPartition, OffsetAndMetadata> nextOffsets(List<ConsumerRecord<byte[], byte[]>> batch) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            out.merge(new TopicPartition(r.topic(), r.partition()),
                    new OffsetAndMetadata(r.offset() + 1, r.leaderEpoch(), ""),
                    (a, b) -> a.offset() >= b.offset() ? a : b);
        }
        return out;
    }

    /** Per partition, the offset of the batch's first record. */
    static Map<TopicPartition, Long> firstOffsets(List<ConsumerRecord<byte[], byte[]>> batch) {
        Map<TopicPartition, Long> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            out.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
        }
        return out;
    }

    /**
     * Seeks every partition of the batch this consumer still owns back to its committed offset (or, when the group
     * has none yet or the lookup fails, to the batch's first record), so the next polls return the batch again.
     */
    private void rewind(List<ConsumerRecord<byte[], byte[]>> batch) {
        Map<TopicPartition, Long> first = firstOffsets(batch);
        first.keySet().retainAll(consumer.assignment());
        Map<TopicPartition, OffsetAndMetadata> committed = committed(first.keySet());
        first.forEach((tp, offset) -> {
            OffsetAndMetadata c = committed.get(tp);
            consumer.seek(tp, c != null ? c.offset() : offset);
        });
    }

    private Map<TopicPartition, OffsetAndMetadata> committed(Set<TopicPartition> partitions) {
        try {
            return partitions.isEmpty() ? Map.of() : consumer.committed(partitions);
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("{}: cannot read committed offsets ({}); rewinding to the batch's first records", stage.name(),
                    e.toString());
            return Map.of();
        }
    }

    private void abortQuietly() {
        if (!inTransaction) {
            return;
        }
        inTransaction = false;
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            LOG.warn("{}: abort failed: {}", stage.name(), e.toString());
        }
    }

    /** Pauses 100 ms, then twice as long after each further abort in a row, up to the configured maximum. */
    private void backOff() {
        long ms = Math.min(abortBackoffMaxMs, 100L << Math.min(10, abortsInARow++));
        if (ms <= 0) {
            return;
        }
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    private void closeClients() {
        abortQuietly();
        try {
            producer.close(Duration.ofSeconds(5));
        } finally {
            consumer.close();
        }
        LOG.info("{}: stopped; {}", stage.name(), stats.snapshot());
    }

    /** Pending records of revoked or lost partitions are dropped: uncommitted, their next owner reads them. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            assembler.drop(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            assembler.drop(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            LOG.info("{}: assigned {}", stage.name(), partitions);
        }
    }
}
