package io.llavastream.pipeline;

import io.llavastream.rules.LabelRules;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The label set on the labels topic, as {@code labels set|list|remove} and {@code demo} see it: a label is set by
 * writing its record under its name (checked with {@link LabelRules} first), removed by a tombstone, and the live
 * set is what the topic holds when read from the beginning to its end (the last record of each name, tombstones
 * removing). Records that are not label definitions are counted and left out, as the vision worker does.
 *
 * <p>Reads and writes {@link Topics#LABELS}.
 */
public final class LabelStore implements AutoCloseable {
    private static final long SEND_TIMEOUT_MS = 30_000;

    private final Map<String, Object> common;
    private final AvroSerde<LabelDefinition> serde;
    private final KafkaProducer<byte[], byte[]> producer;

    public LabelStore(Map<String, Object> kafkaCommon, SchemaRegistry registry) {
        this.common = kafkaCommon;
        this.serde = Topics.LABELS.valueSerde(registry);
        Map<String, Object> p = new HashMap<>(kafkaCommon);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Writes {@code d} under its name, after checking it. @throws IllegalArgumentException for a bad label */
    public void set(LabelDefinition d) {
        LabelRules.check(d.getLabel(), d);
        send(d.getLabel(), serde.serialize(Topics.LABELS.name(), d));
    }

    /** Writes a tombstone for {@code name}. */
    public void remove(String name) {
        send(LabelRules.checkName(name), null);
    }

    private void send(String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(Topics.LABELS.name(), key.getBytes(StandardCharsets.UTF_8), value))
                    .get(SEND_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write label '" + key + "' to " + Topics.LABELS.name() + ": " + e,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing label '" + key + "'", e);
        }
    }

    /** The live label set, by name, and how many records were left out. */
    public record Listing(Map<String, LabelDefinition> labels, int skipped) {
    }

    /** Reads the topic from the beginning to its end offsets of the moment, within {@code timeout}. */
    public Listing list(Duration timeout) {
        Map<String, Object> p = new HashMap<>(common);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        Map<String, LabelDefinition> labels = new TreeMap<>();
        int skipped = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(Topics.LABELS.name(), timeout).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!reached(c, end)) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + Topics.LABELS.name() + " to its end within "
                            + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    skipped += apply(labels, r) ? 0 : 1;
                }
            }
        }
        return new Listing(labels, skipped);
    }

    private static boolean reached(KafkaConsumer<?, ?> c, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue());
    }

    private boolean apply(Map<String, LabelDefinition> labels, ConsumerRecord<byte[], byte[]> r) {
        if (r.key() == null) {
            return false;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
            labels.remove(key);
            return true;
        }
        try {
            labels.put(key, LabelRules.check(key, serde.deserialize(r.topic(), r.value())));
            return true;
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                throw e;
            }
            return false;
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
