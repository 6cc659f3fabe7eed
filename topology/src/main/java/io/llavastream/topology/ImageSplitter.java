package io.llavastream.topology;

import io.llavastream.rules.ImageTasks;
import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.ImageTask;
import java.nio.ByteBuffer;
import java.time.Instant;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Splits a valid post into one {@link ImageTask} per image with {@link ImageTasks#split} (the rule the workers and
 * replay share: task id, SHA-256, the {@link PromptRule}'s prompt), keeping the post's key.
 * An image over {@code max.image.bytes} is refused: its task (without the image bytes) comes with a dead letter
 * (IMAGE_TOO_LARGE) that carries the original post bytes. Touches no topic itself: accepted tasks go on to the
 * vision stage ({@link io.llavastream.topics.Topics#VISION_REQUESTS}), refused ones to {@link io.llavastream.topics.Topics#DEAD_LETTERS}
 * and, as ERROR answers, {@link io.llavastream.topics.Topics#ANSWERS}.
 */
final class ImageSplitter implements Processor<String, RawPost, String, Checked<ImageTask>> {
    private static final ByteBuffer NO_BYTES = ByteBuffer.allocate(0);
    private final PostChecks checks;
    private final java.util.Map<String, String> sourceAdapters;
    private ProcessorContext<String, Checked<ImageTask>> context;

    ImageSplitter(PostChecks checks) {
        this(checks, java.util.Map.of());
    }

    /** @param sourceAdapters the LoRA adapter of each source's images (source.adapters) */
    ImageSplitter(PostChecks checks, java.util.Map<String, String> sourceAdapters) {
        this.checks = checks;
        this.sourceAdapters = sourceAdapters;
    }

    @Override
    public void init(ProcessorContext<String, Checked<ImageTask>> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, RawPost> record) {
        RawPost raw = record.value();
        long now = raw.receivedAt();
        for (ImageTask task : ImageTasks.split(raw.post(), checks.prompts(), sourceAdapters,
                Instant.ofEpochMilli(now))) {
            context.forward(record.withValue(check(raw, task, now)));
        }
    }

    private Checked<ImageTask> check(RawPost raw, ImageTask task, long now) {
        PostChecks.Refusal refusal = checks.refusal(task);
        if (refusal == null) {
            return Checked.ok(task);
        }
        task.setImage(NO_BYTES.duplicate());
        return Checked.refused(task, DeadLetters.of(context.recordMetadata(), raw.key(), raw.value(),
                refusal.reason(), refusal.message(), now));
    }
}
