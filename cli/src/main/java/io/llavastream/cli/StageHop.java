package io.llavastream.cli;

import io.llavastream.kafka.KafkaClientConfig;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.Tensor;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
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
 * One stage hop as the workers make it: a record with a [rows, cols] fp16 tensor is serialized (Avro, Confluent
 * wire format), sent in a committed transaction, read back read_committed and deserialized. Latency is from
 * before serialization to after deserialization; one hop in flight at a time (the latency run), then a pipelined
 * run of {@code count} hops for throughput.
 */
final class StageHop {
    /** Results: per-hop latency and pipelined throughput. */
    record Result(int payloadBytes, int hops, double p50Ms, double p99Ms, double hopsPerSecond, double mbPerSecond) {
    }

    private final KafkaClientConfig kafka;
    private final AvroSerde<VisionFeatures> serde;

    StageHop(KafkaClientConfig kafka, SchemaRegistry registry) {
        this.kafka = kafka;
        this.serde = Topics.BENCH_HOPS.valueSerde(registry);
    }

    Result run(int rows, int cols, int count) {
        VisionFeatures payload = payload(rows, cols);
        String topic = Topics.BENCH_HOPS.name();
        try (KafkaProducer<byte[], byte[]> producer = producer(); KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToEnd(List.of(tp));
            consumer.position(tp);
            producer.initTransactions();
            int bytes = serde.serialize(topic, payload).length;
            long[] latency = new long[count];
            for (int i = 0; i < count; i++) {
                long t0 = System.nanoTime();
                send(producer, topic, payload, 1);
                receive(consumer, 1);
                latency[i] = System.nanoTime() - t0;
            }
            long t0 = System.nanoTime();
            for (int sent = 0; sent < count; sent += 8) {
                send(producer, topic, payload, Math.min(8, count - sent));  // 8 records per transaction, like a batch
            }
            receive(consumer, count);
            double secs = (System.nanoTime() - t0) / 1e9;
            Arrays.sort(latency);
            return new Result(bytes, count, latency[count / 2] / 1e6, latency[(int) Math.ceil(count * 0.99) - 1] / 1e6,
                    count / secs, count * (double) bytes / secs / 1e6);
        }
    }

    private void send(KafkaProducer<byte[], byte[]> producer, String topic, VisionFeatures v, int n) {
        producer.beginTransaction();
        for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>(topic, serde.serialize(topic, v)));
        }
        producer.commitTransaction();
    }

    private void receive(KafkaConsumer<byte[], byte[]> consumer, int n) {
        int got = 0;
        while (got < n) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                serde.deserialize(r.topic(), r.value());
                got++;
            }
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> p = kafka.producer();
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "llava-bench-hop-" + UUID.randomUUID());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> c = kafka.consumer();
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 5);
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static VisionFeatures payload(int rows, int cols) {
        byte[] fp16 = new byte[rows * cols * 2];
        new Random(1).nextBytes(fp16);
        Tensor t = Tensor.newBuilder().setDtype(DType.FP16).setShape(List.of(rows, cols))
                .setData(ByteBuffer.wrap(fp16)).build();
        Tensor e = Tensor.newBuilder().setDtype(DType.FP16).setShape(List.of(768)).setData(ByteBuffer.allocate(1536))
                .build();
        return VisionFeatures.newBuilder().setImageSha256("0".repeat(64)).setVisionModelId("bench")
                .setPatchFeatures(t).setImageEmbedding(e).setVisionMs(0).build();
    }
}
