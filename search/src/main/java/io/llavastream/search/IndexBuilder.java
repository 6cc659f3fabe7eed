package io.llavastream.search;

import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds an {@link ImageIndex} from the topics. Reads {@link Topics#IMAGE_EMBEDDINGS} (each record puts or, as a
 * tombstone, deletes an image document) and {@link Topics#CAPTIONED_POSTS} (each answered image sets its sha256's
 * caption), read_committed, from the beginning of every partition (assigned, no consumer group, nothing committed),
 * so every start replays the topics and rebuilds the index; writes only to the index. A record it cannot read is
 * skipped and counted ({@link #skipped}), never fatal.
 */
public final class IndexBuilder implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final TopicRecordApplier applier;
    private final ImageIndex index;
    private static final Logger LOG = LoggerFactory.getLogger(IndexBuilder.class);
    private final List<TopicPartition> partitions = new ArrayList<>();
    private long applied;
    private long skipped;

    /** Progress of {@link #catchUp}: records read so far out of the records there were when it began. */
    public interface Progress {
        void update(long read, long total);
    }

    /**
     * @param consumerSettings Kafka consumer settings (bootstrap servers, security); the deserializers, isolation
     *                         level and offset handling are set here
     */
    public IndexBuilder(Map<String, Object> consumerSettings, SchemaRegistry registry, ImageIndex index) {
        Map<String, Object> c = new HashMap<>(consumerSettings);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES);
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        this.applier = new TopicRecordApplier(registry, index);
        this.index = index;
        for (String topic : List.of(Topics.IMAGE_EMBEDDINGS.name(), Topics.CAPTIONED_POSTS.name())) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                consumer.close();
                throw new IllegalStateException("topic " + topic + " does not exist (is the pipeline's broker at "
                        + consumerSettings.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG) + "?)");
            }
            infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /**
     * Reads until every partition reaches the end (last stable offset) it had when this was called, then refreshes
     * the index; returns the records applied so far.
     *
     * @throws IllegalStateException when {@code timeout} passes first
     */
    public long catchUp(Duration timeout, Progress progress) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        long total = 0;
        for (TopicPartition tp : partitions) {
            total += Math.max(0, end.get(tp) - consumer.position(tp));
        }
        long start = applied;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!reached(end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the index did not catch up with " + end + " within " + timeout
                        + "; read " + (applied - start) + " of " + total + " records");
            }
            pollOnce(Duration.ofMillis(200));
            progress.update(Math.min(applied - start, total), total);
        }
        index.refresh();
        progress.update(total, total);
        return applied;
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (TopicPartition tp : partitions) {
            if (consumer.position(tp) < end.get(tp)) {
                return false;
            }
        }
        return true;
    }

    /** Follows the topics, refreshing the index after every non-empty poll, until {@code stop} says so. */
    public void follow(BooleanSupplier stop) {
        while (!stop.getAsBoolean()) {
            if (pollOnce(Duration.ofMillis(500)) > 0) {
                index.refresh();
            }
        }
    }

    private int pollOnce(Duration wait) {
        ConsumerRecords<String, byte[]> records = consumer.poll(wait);
        for (ConsumerRecord<String, byte[]> r : records) {
            apply(r);
        }
        return records.count();
    }

    /**
     * Applies one record; one that is not what its topic carries (not Avro, an unknown schema id, a tensor whose
     * bytes disagree with its shape) is skipped, counted and logged, and the index goes on. An unreachable registry
     * is not the record's fault: it propagates.
     */
    private void apply(ConsumerRecord<String, byte[]> r) {
        applied++;
        try {
            applier.apply(r.topic(), r.key(), r.value());
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                throw e;
            }
            skip(r, e);
        } catch (IllegalArgumentException e) {
            skip(r, e);
        }
    }

    private void skip(ConsumerRecord<String, byte[]> r, RuntimeException e) {
        skipped++;
        LOG.warn("skipped {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
    }

    /** Records read and skipped because they are not what their topic carries. */
    public long skipped() {
        return skipped;
    }

    /** Records read from the topics since this builder started. */
    public long applied() {
        return applied;
    }

    /** Wakes a {@link #follow} blocked in poll (from another thread); it then throws WakeupException. */
    public void wakeup() {
        consumer.wakeup();
    }

    /** Binds the Kafka client meters of this builder's consumer (records-lag-max among them) to {@code registry}. */
    public void bindTo(MeterRegistry registry) {
        new KafkaClientMetrics(consumer).bindTo(registry);
    }

    @Override
    public void close() {
        consumer.close();
    }
}
