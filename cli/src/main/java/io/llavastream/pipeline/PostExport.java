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
import java.time.Instant;
import java.util.Map;
import java.util.function.LongConsumer;

/**
 * Reads a range of a captioned-posts topic ({@link Topics#CAPTIONED_POSTS} by default) and writes each post as one
 * JSON line for LLM training, without image bytes: {@code {post_id, source, url, title, author, created_at
 * (ISO-8601, null when unknown), body (the rendered body), captions: [{image_index, image_sha256, text, failed,
 * model_id}]}}. Reads read_committed with assign + seek on every partition: no consumer group, no commits. A record
 * that does not deserialize, or has no value, is skipped and counted.
 */
public final class PostExport {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Map<String, Object> common;
    private final SchemaRegistry registry;

    /** What to read: see {@link TopicRange.Range}. */
    public record Range(Instant fromTime, Instant toTime, Long fromOffset, Long toOffset) implements TopicRange.Range {
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
        long[] counts = new long[2];  // posts, skipped
        IOException[] failure = new IOException[1];
        int partitions = TopicRange.forEach(common, topic, range, total, r -> {
            step.run();
            CaptionedPost post;
            try {
                post = serde.deserialize(r.topic(), r.value());
            } catch (RuntimeException bad) {
                System.err.println("skipped " + r.topic() + "-" + r.partition() + "@" + r.offset() + ": "
                        + bad.getMessage());
                counts[1]++;
                return;
            }
            if (post == null) {
                System.err.println("skipped " + r.topic() + "-" + r.partition() + "@" + r.offset()
                        + ": a tombstone (no value), not a captioned post");
                counts[1]++;
                return;
            }
            try {
                out.write(JSON.writeValueAsString(json(post)));
                out.write('\n');
                counts[0]++;
            } catch (IOException e) {
                failure[0] = failure[0] == null ? e : failure[0];
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        out.flush();
        return new Summary(counts[0], counts[1], partitions);
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
