package io.llavastream.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a range of a topic, every partition, read_committed, with assign + seek: no consumer group, no commits,
 * so live consumer groups are not disturbed (export, replay).
 */
final class TopicRange {
    /** Per partition, [from, to) by timestamp (offsetsForTimes) or by offset; null ends are open. */
    interface Range {
        Instant fromTime();

        Instant toTime();

        Long fromOffset();

        Long toOffset();
    }

    private TopicRange() {
    }

    /** Hands every record in range to {@code each}; {@code total} gets the offsets in range. Returns partitions. */
    static int forEach(Map<String, Object> common, String topic, Range range, LongConsumer total,
                       Consumer<ConsumerRecord<String, byte[]>> each) {
        Map<String, Object> c = new HashMap<>(common);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (parts.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist or has no partitions");
            }
            consumer.assign(parts);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            Map<TopicPartition, Long> from = bound(consumer, parts, range.fromTime(), range.fromOffset(), begin, end);
            Map<TopicPartition, Long> to = bound(consumer, parts, range.toTime(), range.toOffset(), end, end);
            long inRange = 0;
            for (TopicPartition tp : parts) {
                consumer.seek(tp, from.get(tp));
                inRange += Math.max(0, to.get(tp) - from.get(tp));
            }
            total.accept(inRange);
            while (!done(consumer, parts, to)) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.offset() < to.get(new TopicPartition(r.topic(), r.partition()))) {
                        each.accept(r);
                    }
                }
            }
            return parts.size();
        }
    }

    /** Per partition: the offset of {@code time} (end when none is at or after it), else {@code offset} clamped. */
    private static Map<TopicPartition, Long> bound(KafkaConsumer<?, ?> consumer, List<TopicPartition> parts,
                                                   Instant time, Long offset, Map<TopicPartition, Long> open,
                                                   Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> out = new HashMap<>();
        if (time != null) {
            Map<TopicPartition, Long> query = new HashMap<>();
            parts.forEach(tp -> query.put(tp, time.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query);
            parts.forEach(tp -> out.put(tp, found.get(tp) == null ? end.get(tp) : found.get(tp).offset()));
        } else {
            parts.forEach(tp -> out.put(tp, offset == null ? open.get(tp)
                    : Math.min(end.get(tp), Math.max(offset, consumer.beginningOffsets(List.of(tp)).get(tp)))));
        }
        return out;
    }

    private static boolean done(KafkaConsumer<?, ?> consumer, List<TopicPartition> parts,
                                Map<TopicPartition, Long> to) {
        for (TopicPartition tp : parts) {
            if (consumer.position(tp) < to.get(tp)) {
                return false;
            }
        }
        return true;
    }
}
