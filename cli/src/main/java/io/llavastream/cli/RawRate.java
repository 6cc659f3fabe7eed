package io.llavastream.cli;

import io.llavastream.kafka.KafkaClientConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The broker's raw rate for records of a given size, the limit a stage hop can approach: plain byte[] records
 * (random bytes, which do not compress) through a plain producer (no transactions, no Avro; idempotent, acks=all,
 * Kafka's defaults) and a plain consumer (read_uncommitted), running at once, with the same large-record settings
 * as the hop ({@link KafkaClientConfig#producer()}, {@link KafkaClientConfig#consumer()}). Reads and writes the
 * topic it is given, from its end.
 */
final class RawRate {
    private final KafkaClientConfig kafka;
    private final String topic;
    private final Map<String, Object> producerOverrides;
    private final Map<String, Object> consumerOverrides;

    RawRate(KafkaClientConfig kafka, String topic) {
        this(kafka, topic, Map.of(), Map.of());
    }

    /** With client settings over the large-record ones, to compare settings in one run. */
    RawRate(KafkaClientConfig kafka, String topic, Map<String, Object> producerOverrides,
            Map<String, Object> consumerOverrides) {
        this.kafka = kafka;
        this.topic = topic;
        this.producerOverrides = Map.copyOf(producerOverrides);
        this.consumerOverrides = Map.copyOf(consumerOverrides);
    }

    /** {@code count} records of {@code recordBytes} random bytes, sent and read back. */
    HopRate measure(int recordBytes, int count) {
        byte[] value = new byte[recordBytes];
        new Random(2).nextBytes(value);
        Map<String, Object> p = new HashMap<>(kafka.producer());
        p.putAll(producerOverrides);
        Map<String, Object> c = new HashMap<>(kafka.consumer());
        c.putAll(consumerOverrides);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer());
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                     new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            return ConcurrentFlow.measure(count, recordBytes, () -> send(producer, value, count),
                    () -> HopReader.drain(consumer, count, r -> { }));
        }
    }

    private void send(KafkaProducer<byte[], byte[]> producer, byte[] value, int count) {
        for (int i = 0; i < count; i++) {
            producer.send(new ProducerRecord<>(topic, value));
        }
        producer.flush();
    }
}
