package io.llavastream.topology;

import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.TaskRef;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Splits a valid post into one {@link ImageTask} per image, in image order, keeping the post's key. Each task's
 * {@link TaskRef} has task id "&lt;post id&gt;/&lt;index&gt;", the image's SHA-256, the prompt ({@link Prompts#forPost}:
 * question, else the source's template, else the default) and received_at = now.
 * An image over {@code max.image.bytes} is refused: its task (without the image bytes) comes with a dead letter
 * (IMAGE_TOO_LARGE) that carries the original post bytes. Touches no topic itself: accepted tasks go on to the
 * vision cache ({@link io.llavastream.topics.Topics#VISION_REQUESTS} or {@link
 * io.llavastream.topics.Topics#MERGE_REQUESTS}), refused ones to {@link io.llavastream.topics.Topics#DEAD_LETTERS}
 * and, as ERROR answers, {@link io.llavastream.topics.Topics#ANSWERS}.
 */
final class ImageSplitter implements Processor<String, RawPost, String, Checked<ImageTask>> {
    private static final ByteBuffer NO_BYTES = ByteBuffer.allocate(0);
    private final int maxImageBytes;
    private final String defaultPrompt;
    private final Map<String, String> sourcePrompts;
    private ProcessorContext<String, Checked<ImageTask>> context;

    ImageSplitter(int maxImageBytes, String defaultPrompt) {
        this(maxImageBytes, defaultPrompt, Map.of());
    }

    /** With {@code sourcePrompts} ({@value PipelineConfig#SOURCE_PROMPTS_CONFIG}) between question and default. */
    ImageSplitter(int maxImageBytes, String defaultPrompt, Map<String, String> sourcePrompts) {
        this.maxImageBytes = maxImageBytes;
        this.defaultPrompt = defaultPrompt;
        this.sourcePrompts = sourcePrompts;
    }

    @Override
    public void init(ProcessorContext<String, Checked<ImageTask>> context) {
        this.context = context;
    }

    @Override
    public void process(Record<String, RawPost> record) {
        RawPost raw = record.value();
        Post post = raw.post();
        List<PostImage> images = post.getImages();
        long now = context.currentSystemTimeMs();
        String prompt = Prompts.forPost(post.getQuestion(), post.getSource(), sourcePrompts, defaultPrompt);
        for (int i = 0; i < images.size(); i++) {
            PostImage image = images.get(i);
            ByteBuffer bytes = image.getData().duplicate();
            TaskRef ref = TaskRef.newBuilder().setTaskId(post.getId() + "/" + i).setPostId(post.getId())
                    .setSource(post.getSource()).setImageIndex(i).setImageCount(images.size())
                    .setImageSha256(ImageDigest.sha256Hex(bytes)).setPrompt(prompt)
                    .setReceivedAt(Instant.ofEpochMilli(now)).build();
            context.forward(record.withValue(check(raw, ref, image, bytes, now)));
        }
    }

    private Checked<ImageTask> check(RawPost raw, TaskRef ref, PostImage image, ByteBuffer bytes, long now) {
        ImageTask.Builder task = ImageTask.newBuilder().setTask(ref).setContentType(image.getContentType());
        if (bytes.remaining() <= maxImageBytes) {
            return Checked.ok(task.setImage(bytes).build());
        }
        String message = "image " + ref.getImageIndex() + " of post " + ref.getPostId() + " is " + bytes.remaining()
                + " bytes, more than " + PipelineConfig.MAX_IMAGE_BYTES_CONFIG + " = " + maxImageBytes;
        return Checked.refused(task.setImage(NO_BYTES.duplicate()).build(), DeadLetters.of(context.recordMetadata(),
                raw.key(), raw.value(), DeadLetters.IMAGE_TOO_LARGE, message, now));
    }
}
