package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.Post;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Reads {@link Topics#POSTS}: decodes a record from its raw bytes and checks it; a null value (tombstone), bytes
 * that are not Avro or carry an unknown schema id, a post without images, a post with more than
 * {@code max.images.per.post} images, a post whose question is over {@code max.question.chars} and a post whose
 * text would make its captioned post too large ({@link PostText}) are refused with a dead letter that keeps the
 * original key and value bytes. The key becomes its UTF-8 string. Refused posts go to {@link Topics#DEAD_LETTERS}.
 * A registry that cannot be reached is not the record's fault: that exception propagates (the thread retries).
 */
final class PostValidator implements Processor<byte[], byte[], String, Checked<RawPost>> {
    private final AvroSerde<Post> serde;
    private final PostChecks checks;
    private final long maxTextBytes = PostText.maxBytes();
    private ProcessorContext<String, Checked<RawPost>> context;

    PostValidator(AvroSerde<Post> serde, PostChecks checks) {
        this.serde = serde;
        this.checks = checks;
    }

    @Override
    public void init(ProcessorContext<String, Checked<RawPost>> context) {
        this.context = context;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        context.forward(record.withKey(key).withValue(check(record.key(), record.value())));
    }

    private Checked<RawPost> check(byte[] key, byte[] value) {
        Post post;
        try {
            post = serde.deserialize(Topics.POSTS.name(), value);
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                throw e;
            }
            return refuse(key, value, e.reason().name(), e.getMessage());
        }
        if (post == null) {
            return refuse(key, value, DeadLetterReason.NULL_VALUE.name(),
                    "record on " + Topics.POSTS.name() + " has a null value (a tombstone), not a post");
        }
        PostChecks.Refusal refusal = checks.refusal(post);  // the rule replay and the in-process runs share
        if (refusal != null) {
            return refuse(key, value, refusal.reason().name(), refusal.message());
        }
        long text = PostText.bytes(post);
        if (text > maxTextBytes) {
            return refuse(key, value, DeadLetterReason.RECORD_TOO_LARGE.name(), "post " + post.getId() + " would "
                    + "put " + text + " bytes of text in its captioned post (body twice, as body and rendered_body, "
                    + "title, url, author, image urls), more than the " + maxTextBytes + " that fit "
                    + Topics.CAPTIONED_POSTS.name() + "'s record limit");
        }
        return Checked.ok(new RawPost(post, key, value, context.currentSystemTimeMs()));
    }

    private Checked<RawPost> refuse(byte[] key, byte[] value, String type, String message) {
        return Checked.refused(DeadLetters.of(context.recordMetadata(), key, value, type, message,
                context.currentSystemTimeMs()));
    }
}
