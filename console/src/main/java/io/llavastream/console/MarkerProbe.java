package io.llavastream.console;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Tells which short offset ranges hold no record at all, only transaction markers. A stage that consumed
 * everything commits the offset after its last record, while the topic's end lies after that transaction's commit
 * marker: "end - committed" then reads 1 on an idle partition. Reading the range read_committed (assigned, no group,
 * nothing committed) tells: a consumer's position moves past markers without returning them.
 */
final class MarkerProbe implements AutoCloseable {
    /** Ranges up to this many offsets long are probed; longer ones are real lag whatever markers they hold. */
    static final long MAX_PROBED = 2;
    /** Longest a probe reads; a range still undecided then counts as lag. */
    static final Duration TIMEOUT = Duration.ofSeconds(3);
    private final KafkaConsumer<byte[], byte[]> consumer;

    MarkerProbe(Map<String, Object> kafka) {
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 1024);
        c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * The partitions of {@code ranges} (partition to {from, end}) whose range holds only markers, as far as
     * {@link #TIMEOUT} allows.
     */
    Set<TopicPartition> onlyMarkers(Map<TopicPartition, long[]> ranges) {
        Set<TopicPartition> out = new HashSet<>();
        if (ranges.isEmpty()) {
            return out;
        }
        consumer.assign(ranges.keySet());
        ranges.forEach((tp, r) -> consumer.seek(tp, r[0]));
        Set<TopicPartition> open = new HashSet<>(ranges.keySet());
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (r.offset() < ranges.get(tp)[1]) {
                    open.remove(tp);  // a real record: real lag
                    consumer.pause(java.util.List.of(tp));
                }
            }
            for (TopicPartition tp : Set.copyOf(open)) {
                if (consumer.position(tp) >= ranges.get(tp)[1]) {
                    out.add(tp);
                    open.remove(tp);
                }
            }
        }
        consumer.unsubscribe();
        return out;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
