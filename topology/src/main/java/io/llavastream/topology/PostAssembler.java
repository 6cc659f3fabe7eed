package io.llavastream.topology;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
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
 * Reads {@link io.llavastream.topics.Topics#ANSWERS} re-keyed by post id (through the
 * {@value TopologyNames#ANSWERS_BY_POST} repartition topic); its posts go to {@link
 * io.llavastream.topics.Topics#CAPTIONED_POSTS}. Gathers a post's answers in the {@value TopologyNames#PENDING_POSTS_STORE} store until every
 * image is answered, then emits the {@link CaptionedPost} and deletes the aggregate. A re-delivered answer for an
 * image already answered is dropped, and the {@value TopologyNames#COMPLETED_POSTS_STORE} store remembers completed
 * posts for {@code completed.post.retention.ms} so that a late duplicate neither re-emits the post nor starts a new
 * aggregate. An answer whose image index is outside its post is refused (dead-lettered by the handler).
 */
final class PostAssembler implements Processor<String, Answer, String, CaptionedPost> {
    static final String INVALID_ANSWER = "INVALID_ANSWER";
    private final Duration retention;
    private ProcessorContext<String, CaptionedPost> context;
    private KeyValueStore<String, CaptionedPost> pending;
    private KeyValueStore<String, Long> completed;

    PostAssembler(Duration retention) {
        this.retention = retention;
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
    public void process(Record<String, Answer> record) {
        TaskRef task = record.value().getTask();
        String postId = task.getPostId();
        if (task.getImageIndex() < 0 || task.getImageIndex() >= task.getImageCount()) {
            throw new InvalidRecordException(INVALID_ANSWER, "answer " + task.getTaskId() + " has image_index "
                    + task.getImageIndex() + " outside 0.." + (task.getImageCount() - 1));
        }
        if (completed.get(postId) != null) {
            return;
        }
        Optional<CaptionedPost> added = CaptionedPosts.add(pending.get(postId), record.value());
        if (added.isEmpty()) {
            return;
        }
        if (CaptionedPosts.isComplete(added.get(), task.getImageCount())) {
            context.forward(record.withKey(postId).withValue(added.get()));
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
