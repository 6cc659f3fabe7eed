package io.llavastream.chaos;

import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes hostile records as an ordinary client would: a plain {@code KafkaProducer<byte[], byte[]>}, no
 * transactions, no schema checks, with room for a record up to the topics' 16 MiB limit. Returns where each one
 * landed, so that its dead letter can be found by topic, partition and offset.
 */
public final class HostileWriter {
    /** A hostile record and where it landed. */
    public record Written(HostileRecord record, int partition, long offset, long writtenAt) {
    }

    private HostileWriter() {
    }

    public static List<Written> write(String bootstrapServers, List<HostileRecord> corpus) {
        Map<String, Object> p = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES + 1024 * 1024,
                ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * Topics.MAX_RECORD_BYTES,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
        List<Written> out = new ArrayList<>(corpus.size());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (HostileRecord h : corpus) {
                out.add(send(producer, h));
            }
        }
        return out;
    }

    private static Written send(KafkaProducer<byte[], byte[]> producer, HostileRecord h) {
        try {
            RecordMetadata m = producer.send(new ProducerRecord<>(h.topic(), h.key(), h.value()))
                    .get(300, TimeUnit.SECONDS);
            return new Written(h, m.partition(), m.offset(), System.currentTimeMillis());
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not write hostile record " + h.name() + " (" + h.size()
                    + " bytes) to " + h.topic() + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("writing hostile record " + h.name() + " took over 300 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted writing " + h.name(), e);
        }
    }
}
