package io.llavastream.cli;

import io.llavastream.kafka.KafkaClientConfig;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.Tensor;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
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
 * One stage hop as the workers make it, on {@link Topics#BENCH_HOPS}: a record with a [rows, cols] fp16 tensor
 * (random bytes, which do not compress) is serialized (Avro, Confluent wire format), sent in a committed
 * transaction, read back read_committed, deserialized, and its tensor decoded to floats as the merge and decode
 * stages do. Three runs: one hop in flight at a time (latency, from before serialization to after the decode);
 * {@code count} hops with a sender thread (8 records per transaction, like a batch) and the reading thread at once,
 * as two stages run (throughput); and, in the same run, {@link RawRate}'s plain byte[] records of the same size,
 * the broker's limit for these bytes. The throughput runs go raw, hop, raw, hop, half the count each, so that a
 * change in the machine's load during the run affects both alike.
 */
final class StageHop {
    static final int RECORDS_PER_TRANSACTION = 8;

    /**
     * Results: per-hop latency, pipelined hops/s and MB/s, the raw rate for the same bytes and the hop's share of it,
     * and the CPU per hop of serialization, Avro deserialization and the tensor's decode, each timed alone.
     */
    record Result(int payloadBytes, int hops, double p50Ms, double p99Ms, double hopsPerSecond, double mbPerSecond,
                  double rawRecordsPerSecond, double rawMbPerSecond, double hopsToRaw, double cpuMsPerHop,
                  double rawCpuMsPerRecord, double serializeMs, double deserializeMs, double decodeMs) {
    }

    private final KafkaClientConfig kafka;
    private final AvroSerde<VisionFeatures> serde;
    private final Map<String, Object> producerOverrides;
    private final Map<String, Object> consumerOverrides;

    StageHop(KafkaClientConfig kafka, SchemaRegistry registry) {
        this(kafka, registry, Map.of(), Map.of());
    }

    /** With client settings over the hop's own, to compare settings in one run. */
    StageHop(KafkaClientConfig kafka, SchemaRegistry registry, Map<String, Object> producerOverrides,
             Map<String, Object> consumerOverrides) {
        this.kafka = kafka;
        this.serde = Topics.BENCH_HOPS.valueSerde(registry);
        this.producerOverrides = Map.copyOf(producerOverrides);
        this.consumerOverrides = Map.copyOf(consumerOverrides);
    }

    Result run(int rows, int cols, int count) {
        VisionFeatures payload = payload(rows, cols);
        String topic = Topics.BENCH_HOPS.name();
        int bytes = serde.serialize(topic, payload).length;
        try (KafkaProducer<byte[], byte[]> producer = producer(); KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            toEnd(consumer, tp);
            producer.initTransactions();
            long[] latency = latencies(producer, consumer, payload, count);  // also warms up the shared code
            RawRate rawRate = new RawRate(kafka, topic, producerOverrides, consumerOverrides);
            rawRate.measure(bytes, Math.min(count, RECORDS_PER_TRANSACTION));  // warms up its plain producer
            HopRate raw = null;
            HopRate hop = null;
            for (int half : new int[] {count / 2, count - count / 2}) {  // interleaved, so that load drift hits both
                raw = HopRate.sum(raw, rawRate.measure(bytes, half));
                toEnd(consumer, tp);  // past the raw records
                hop = HopRate.sum(hop, ConcurrentFlow.measure(half, bytes, () -> sendAll(producer, payload, half),
                        () -> HopReader.drain(consumer, half, this::read)));
            }
            double[] cpu = cpuPerHop(payload, topic);
            return new Result(bytes, count, latency[count / 2] / 1e6, latency[(int) Math.ceil(count * 0.99) - 1] / 1e6,
                    hop.recordsPerSecond(), hop.mbPerSecond(), raw.recordsPerSecond(), raw.mbPerSecond(),
                    hop.recordsPerSecond() / raw.recordsPerSecond(), hop.cpuMsPerRecord(), raw.cpuMsPerRecord(),
                    cpu[0], cpu[1], cpu[2]);
        }
    }

    /** {@code count} hops one at a time, each timed from before serialization to after the decode; sorted. */
    private long[] latencies(KafkaProducer<byte[], byte[]> producer, KafkaConsumer<byte[], byte[]> consumer,
                             VisionFeatures payload, int count) {
        long[] latency = new long[count];
        for (int i = 0; i < count; i++) {
            long t0 = System.nanoTime();
            send(producer, payload, 1);
            HopReader.drain(consumer, 1, this::read);
            latency[i] = System.nanoTime() - t0;
        }
        Arrays.sort(latency);
        return latency;
    }

    private static void toEnd(KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp) {
        consumer.seekToEnd(List.of(tp));
        consumer.position(tp);  // seekToEnd is lazy: resolve it now, before anything is sent
    }

    private void sendAll(KafkaProducer<byte[], byte[]> producer, VisionFeatures v, int count) {
        for (int sent = 0; sent < count; sent += RECORDS_PER_TRANSACTION) {
            send(producer, v, Math.min(RECORDS_PER_TRANSACTION, count - sent));
        }
    }

    private void send(KafkaProducer<byte[], byte[]> producer, VisionFeatures v, int n) {
        String topic = Topics.BENCH_HOPS.name();
        producer.beginTransaction();
        for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>(topic, serde.serialize(topic, v)));
        }
        producer.commitTransaction();
    }

    /** What a stage does with a record it reads: deserialize, then decode the tensor to floats. */
    private void read(ConsumerRecord<byte[], byte[]> r) {
        TensorCodec.floats(serde.deserializeRequired(r.topic(), r.value()).getPatchFeatures());
    }

    /** Milliseconds per hop of serialize, deserialize and decode, each alone on this thread (mean of 10). */
    private double[] cpuPerHop(VisionFeatures v, String topic) {
        int n = 10;
        long ser = 0;
        long de = 0;
        long dec = 0;
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            byte[] b = serde.serialize(topic, v);
            long t1 = System.nanoTime();
            VisionFeatures back = serde.deserializeRequired(topic, b);
            long t2 = System.nanoTime();
            TensorCodec.floats(back.getPatchFeatures());
            long t3 = System.nanoTime();
            ser += t1 - t0;
            de += t2 - t1;
            dec += t3 - t2;
        }
        return new double[] {ser / 1e6 / n, de / 1e6 / n, dec / 1e6 / n};
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> p = new HashMap<>(kafka.producer());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "llava-bench-hop-" + UUID.randomUUID());
        p.putAll(producerOverrides);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> c = new HashMap<>(kafka.consumer());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.putAll(consumerOverrides);
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
