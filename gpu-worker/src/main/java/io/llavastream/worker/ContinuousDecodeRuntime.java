package io.llavastream.worker;

import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decode stage on Kafka, with continuous batching: every loop polls without waiting while sequences are
 * decoding, puts new requests into the running batch, runs one batched step, and publishes the answers that can
 * be released ({@link OffsetTracker}: the finished prefix of each partition) in one transaction together with the
 * offsets after them.
 *
 * <p>Reads {@link Topics#DECODE_REQUESTS}; writes {@link Topics#ANSWERS} and {@link Topics#DEAD_LETTERS}.
 */
public final class ContinuousDecodeRuntime implements Worker {
    private static final Logger LOG = LoggerFactory.getLogger(ContinuousDecodeRuntime.class);
    private static final Topic<DecodeRequest> INPUT = Topics.DECODE_REQUESTS;

    private final DecodeStage stage;
    private final LlavaModel model;
    private final int maxBatch;
    private final long pollTimeoutMs;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<byte[], byte[]> producer;
    private final AvroSerde<DecodeRequest> input;
    private final SchemaRegistry registry;
    private final DeadLetters deadLetters;
    private final OffsetTracker tracker = new OffsetTracker();
    private final WorkerStats stats = new WorkerStats();
    private ContinuousBatcher batcher;
    private volatile boolean stopping;

    /** A request in the batch: where it came from, so its answer is released with its offset. */
    private record Tag(TopicPartition partition, long offset, DecodeRequest request) {
    }

    public ContinuousDecodeRuntime(LlavaModel model, WorkerConfig config, SchemaRegistry registry, int maxNewTokens) {
        this.model = model;
        this.stage = new DecodeStage(model, maxNewTokens, Clock.systemUTC());
        this.maxBatch = config.maxBatchSize();
        this.pollTimeoutMs = config.pollTimeoutMs();
        this.consumer = new KafkaConsumer<>(config.consumerProperties());
        this.producer = new KafkaProducer<>(config.producerProperties());
        this.registry = registry;
        this.input = INPUT.valueSerde(registry);
        this.deadLetters = new DeadLetters("decode", Clock.systemUTC());
        this.batcher = new ContinuousBatcher(model.decoder(), model.embedder(), maxBatch);
    }

    @Override
    public void run() {
        producer.initTransactions();
        consumer.subscribe(List.of(INPUT.name()), new Rebalance());
        try {
            while (!stopping) {
                loop();
            }
        } catch (WakeupException e) {
            if (!stopping) {
                throw e;
            }
        } finally {
            batcher.close();
            consumer.close();
            producer.close();
        }
    }

    /** 1. poll, 2. admit, 3. one batched step, 4. release what is done. */
    private void loop() {
        long wait = batcher.inFlight() > 0 ? 0 : pollTimeoutMs;
        if (batcher.inFlight() < 2 * maxBatch) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(wait))) {
                admit(r);
            }
        }
        for (ContinuousBatcher.Finished f : batcher.step()) {
            Tag t = (Tag) f.tag();
            tracker.finished(t.partition(), t.offset(), List.of(stage.answer(t.request(), f.generation())));
        }
        publish();
    }

    private void admit(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        tracker.started(tp, r.offset());
        DecodeRequest req;
        try {
            req = input.deserialize(r.topic(), r.value());
        } catch (SerdeException e) {
            tracker.finished(tp, r.offset(), List.of(deadLetter(r, e.reason().name(), e.getMessage())));
            return;
        }
        Optional<String> problem = stage.check(req);
        if (problem.isPresent()) {
            tracker.finished(tp, r.offset(), List.of(deadLetter(r, "BAD_DECODE_REQUEST", problem.get()),
                    stage.failed(req, "BAD_DECODE_REQUEST", problem.get())));
            return;
        }
        batcher.submit(stage.request(new Tag(tp, r.offset(), req), req));
    }

    private Output<DeadLetter> deadLetter(ConsumerRecord<byte[], byte[]> r, String type, String message) {
        LOG.warn("decode: dead-lettering {}-{}@{}: {} {}", r.topic(), r.partition(), r.offset(), type, message);
        return new Output<>(Topics.DEAD_LETTERS, r.key() == null ? null : new String(r.key(),
                java.nio.charset.StandardCharsets.UTF_8), deadLetters.of(r, type, message));
    }

    /** Sends the releasable outputs and their offsets in one transaction; on an abort, starts over from Kafka. */
    private void publish() {
        OffsetTracker.Release release = tracker.release();
        if (release.isEmpty()) {
            return;
        }
        try {
            producer.beginTransaction();
            for (Output<?> o : release.outputs()) {
                send(o);
            }
            producer.sendOffsetsToTransaction(release.offsets(), consumer.groupMetadata());
            producer.commitTransaction();
            long dead = release.outputs().stream().filter(o -> o.topic() == Topics.DEAD_LETTERS).count();
            stats.committed(release.inputs(), release.outputs().size(), dead);
        } catch (ProducerFencedException | AuthorizationException e) {
            throw e;  // fatal: another process took this transactional.id, or we may not write
        } catch (KafkaException e) {
            LOG.warn("decode: transaction aborted, restarting from the committed offsets: {}", e.toString());
            producer.abortTransaction();
            stats.aborted();
            restartFromCommitted();
        }
    }

    @SuppressWarnings("unchecked")
    private <V extends SpecificRecord> void send(Output<V> o) {
        AvroSerde<V> serde = o.topic().valueSerde(registry);
        byte[] key = o.key() == null ? null : o.key().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(o.topic().name(), key, serde.serialize(o.topic().name(), o.value())));
    }

    private void restartFromCommitted() {
        tracker.clear();
        batcher.close();
        batcher = new ContinuousBatcher(model.decoder(), model.embedder(), maxBatch);
        Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(consumer.assignment());
        for (TopicPartition tp : consumer.assignment()) {
            OffsetAndMetadata o = committed.get(tp);
            if (o != null) {
                consumer.seek(tp, o);
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
        }
    }

    @Override
    public WorkerStats stats() {
        return stats;
    }

    /** Stops the loop from another thread; {@link #run} returns after closing the clients. */
    @Override
    public void stop() {
        stopping = true;
        consumer.wakeup();
    }

    /** A revoked partition's in-flight records are dropped: their new owner re-reads them from the commit. */
    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            publish();
            partitions.forEach(tracker::forget);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    }
}
