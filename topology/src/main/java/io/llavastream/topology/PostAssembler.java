package io.llavastream.topology;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.PostPart;
import io.llavastream.schemas.TaskRef;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Reads {@link PostPart}s keyed by post id (through the {@value TopologyNames#POST_PARTS_BY_POST} repartition topic):
 * each post's metadata, sent when it was split, and the answers of {@link io.llavastream.topics.Topics#ANSWERS}; its
 * posts go to {@link io.llavastream.topics.Topics#CAPTIONED_POSTS}. Gathers a post's metadata and answers in the
 * {@value TopologyNames#PENDING_POSTS_STORE} store until every image is answered, then emits the {@link
 * CaptionedPost} with its rendered_body ({@link PostBodyRenderer}) and deletes the aggregate. The metadata comes
 * first on the partition (it is written when the post is split, before any answer exists); a post whose metadata
 * never came (split before an upgrade) still completes, with an empty body and only captions in rendered_body. A re-delivered answer for an
 * image already answered is dropped, and the {@value TopologyNames#COMPLETED_POSTS_STORE} store remembers completed
 * posts for {@code completed.post.retention.ms} so that a late duplicate neither re-emits the post nor starts a new
 * aggregate. An answer whose image index is outside its post is refused (dead-lettered by the handler).
 */
final class PostAssembler implements Processor<String, PostPart, String, CaptionedPost> {
    static final String INVALID_ANSWER = "INVALID_ANSWER";
    private final Duration retention;
    private final PostBodyRenderer renderer;
    private ProcessorContext<String, CaptionedPost> context;
    private KeyValueStore<String, CaptionedPost> pending;
    private KeyValueStore<String, Long> completed;

    PostAssembler(Duration retention, PostBodyRenderer renderer) {
        this.retention = retention;
        this.renderer = renderer;
    }

    @Override
    public void init(ProcessorContext<String, CaptionedPost> context) {
        this.context = context;
        this.pending = context.getStateStore(TopologyNames.PENDING_POSTS_STORE);
        this.completed = context.getStateStore(TopologyNames.COMPLETED_POSTS_STORE);
        Duration every = retention.compareTo(Duration.ofMinutes(1)) < 0 ? retention : Duration.ofMinutes(1);
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::forgetCompleted);
    }

    @Override
    public void process(Record<String, PostPart> record) {
        PostPart part = record.value();
        if (part.getPost() != null) {
            remember(part.getPost());
        } else if (part.getAnswer() != null) {
            add(record, part.getAnswer());
        }
    }

    /** Keeps a post's metadata until its answers are in; dropped when the post was completed already. */
    private void remember(CaptionedPost meta) {
        String postId = meta.getPostId();
        if (completed.get(postId) != null) {
            return;
        }
        CaptionedPost partial = pending.get(postId);
        pending.put(postId, partial == null ? meta : CaptionedPost.newBuilder(meta).setAnswers(partial.getAnswers())
                .setReceivedAt(partial.getReceivedAt()).setCompletedAt(partial.getCompletedAt()).build());
    }

    private void add(Record<String, PostPart> record, Answer answer) {
        TaskRef task = answer.getTask();
        String postId = task.getPostId();
        if (task.getImageIndex() < 0 || task.getImageIndex() >= task.getImageCount()) {
            throw new InvalidRecordException(INVALID_ANSWER, "answer " + task.getTaskId() + " has image_index "
                    + task.getImageIndex() + " outside 0.." + (task.getImageCount() - 1));
        }
        if (completed.get(postId) != null) {
            return;
        }
        Optional<CaptionedPost> added = CaptionedPosts.add(pending.get(postId), answer);
        if (added.isEmpty()) {
            return;
        }
        if (CaptionedPosts.isComplete(added.get(), task.getImageCount())) {
            CaptionedPost post = added.get();
            String rendered = renderer.render(post.getBody(), post.getImageUrls(), post.getAnswers());
            context.forward(new Record<>(postId, CaptionedPost.newBuilder(post).setRenderedBody(rendered).build(),
                    record.timestamp(), record.headers()));
            pending.delete(postId);
            completed.put(postId, context.currentSystemTimeMs());
        } else {
            pending.put(postId, added.get());
        }
    }

    private void forgetCompleted(long now) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, Long> all = completed.all()) {
            while (all.hasNext()) {
                KeyValue<String, Long> e = all.next();
                if (e.value <= now - retention.toMillis()) {
                    expired.add(e.key);
                }
            }
        }
        expired.forEach(completed::delete);
    }
}
