package io.llavastream.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a range of a captioned-posts topic ({@link Topics#CAPTIONED_POSTS} by default) and writes each post as one
 * JSON line for LLM training, without image bytes: {@code {post_id, source, url, title, author, created_at
 * (ISO-8601, null when unknown), body (the rendered body), captions: [{image_index, image_sha256, text, failed,
 * model_id}]}}. Reads read_committed with assign + seek on every partition: no consumer group, no commits. A record
 * that does not deserialize is skipped and counted.
 */
public final class PostExport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Object> common;
    private final SchemaRegistry registry;

    /** What to read: per partition, [from, to) by timestamp (offsetsForTimes) or by offset; null ends are open. */
    public record Range(Instant fromTime, Instant toTime, Long fromOffset, Long toOffset) {
        public static Range all() {
            return new Range(null, null, null, null);
        }
    }

    /** How an export went: posts written, records skipped (not deserializable), partitions read. */
    public record Summary(long posts, long skipped, int partitions) {
    }

    public PostExport(Map<String, Object> kafkaCommon, SchemaRegistry registry) {
        this.common = kafkaCommon;
        this.registry = registry;
    }

    /**
     * Writes the posts of {@code topic} in {@code range} to {@code out}, one per line; {@code total} is told the
     * number of offsets in range once known (an upper bound: transaction markers count), {@code step} is called per
     * record read.
     */
    public Summary export(String topic, Range range, Writer out, LongConsumer total, Runnable step) throws IOException {
        AvroSerde<CaptionedPost> serde = Topics.CAPTIONED_POSTS.valueSerde(registry);
        Map<String, Object> c = new HashMap<>(common);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        long posts = 0;
        long skipped = 0;
        int partitionCount;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            if (parts.isEmpty()) {
                throw new IllegalArgumentException("topic " + topic + " does not exist or has no partitions");
            }
            partitionCount = parts.size();
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
                    if (r.offset() >= to.get(new TopicPartition(r.topic(), r.partition()))) {
                        continue;
                    }
                    step.run();
                    CaptionedPost post;
                    try {
                        post = serde.deserialize(r.topic(), r.value());
                    } catch (RuntimeException bad) {
                        System.err.println("skipped " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": "
                                + bad.getMessage());
                        skipped++;
                        continue;
                    }
                    out.write(JSON.writeValueAsString(json(post)));
                    out.write('\n');
                    posts++;
                }
            }
        }
        out.flush();
        return new Summary(posts, skipped, partitionCount);
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

    /** The JSON line of {@code post}: no image bytes, the rendered body as body. */
    public static ObjectNode json(CaptionedPost post) {
        ObjectNode n = JSON.createObjectNode();
        n.put("post_id", post.getPostId()).put("source", post.getSource()).put("url", post.getUrl())
                .put("title", post.getTitle()).put("author", post.getAuthor())
                .put("created_at", post.getCreatedAt().toEpochMilli() == 0 ? null : post.getCreatedAt().toString())
                .put("body", post.getRenderedBody());
        ArrayNode captions = n.putArray("captions");
        for (ImageAnswer a : post.getAnswers()) {
            captions.addObject().put("image_index", a.getImageIndex()).put("image_sha256", a.getImageSha256())
                    .put("text", a.getText()).put("failed", a.getFailed()).put("model_id", a.getModelId());
        }
        return n;
    }
}
