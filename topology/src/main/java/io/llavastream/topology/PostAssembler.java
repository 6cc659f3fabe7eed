package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.PostPart;
import io.llavastream.schemas.TaskRef;
import java.time.Duration;
import java.util.Optional;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@link PostPart}s keyed by post id (through the {@value TopologyNames#POST_PARTS_BY_POST} repartition topic):
 * each post's metadata, sent when it was split, and the answers of {@link io.llavastream.topics.Topics#ANSWERS};
 * its posts go to {@link io.llavastream.topics.Topics#CAPTIONED_POSTS} and its TIMEOUT dead letters to
 * {@link io.llavastream.topics.Topics#DEAD_LETTERS}. Gathers a post's metadata and answers in the
 * {@value TopologyNames#PENDING_POSTS_STORE} store until every image is answered, then emits the {@link
 * CaptionedPost} with its rendered_body ({@link PostBodyRenderer}) and deletes the aggregate. The metadata comes
 * first on the partition (it is written when the post is split, before any answer exists); a post whose metadata
 * never came (split before an upgrade) still completes, with an empty body and only captions in rendered_body.
 *
 * <p>Liveness. A wall-clock punctuator completes a post that has been pending for {@code post.timeout.ms} (from
 * the time it was split) with its missing images failed ({@link TimedOutImages}); when more than
 * {@code max.pending.posts} posts are pending in this task, the oldest are completed the same way at once. Both
 * go through {@link TimeIndex}es, so neither scans the whole store.
 *
 * <p>Duplicates. A re-delivered answer for an image already answered is dropped. The
 * {@value TopologyNames#COMPLETED_POSTS_STORE} store remembers completed posts (timed-out ones included) for
 * {@code completed.post.retention.ms}: a post id seen again within it (a re-submitted post, or a late answer) neither
 * emits the post again nor starts a new aggregate. An answer for a post that is neither pending nor remembered,
 * split longer than {@code post.timeout.ms} ago, is refused (TIMEOUT): its post completed without it. An answer
 * whose image index is outside its post is refused (INVALID_ANSWER). Refused answers are dead-lettered by {@link
 * DeadLetterExceptionHandler}.
 */
final class PostAssembler implements Processor<String, PostPart, String, Checked<CaptionedPost>> {
    static final String INVALID_ANSWER = "INVALID_ANSWER";
    /** The most posts one punctuation completes or forgets; the rest wait for the next one. */
    static final int PUNCTUATION_BATCH = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(PostAssembler.class);
    private final Duration retention;
    private final Duration timeout;
    private final int maxPending;
    private final PostBodyRenderer renderer;
    private ProcessorContext<String, Checked<CaptionedPost>> context;
    private KeyValueStore<String, CaptionedPost> pending;
    private KeyValueStore<String, Long> completed;
    private TimeIndex pendingByTime;
    private TimeIndex completedByTime;

    PostAssembler(PipelineConfig config, PostBodyRenderer renderer) {
        this.retention = config.completedPostRetention();
        this.timeout = config.postTimeout();
        this.maxPending = config.maxPendingPosts();
        this.renderer = renderer;
    }

    @Override
    public void init(ProcessorContext<String, Checked<CaptionedPost>> context) {
        this.context = context;
        this.pending = context.getStateStore(TopologyNames.PENDING_POSTS_STORE);
        this.completed = context.getStateStore(TopologyNames.COMPLETED_POSTS_STORE);
        this.pendingByTime = new TimeIndex(context.getStateStore(TopologyNames.PENDING_BY_TIME_STORE));
        this.completedByTime = new TimeIndex(context.getStateStore(TopologyNames.COMPLETED_BY_TIME_STORE));
        indexStoresWrittenBeforeTheIndexes();
        Duration every = Duration.ofMillis(Math.min(1000, Math.min(timeout.toMillis(), retention.toMillis())));
        context.schedule(every, PunctuationType.WALL_CLOCK_TIME, this::punctuate);
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
            LOG.info("post {} arrived again within {} of its completion; not emitted again",
                    postId, PipelineConfig.COMPLETED_POST_RETENTION_MS_CONFIG);
            return;
        }
        CaptionedPost partial = pending.get(postId);
        if (partial == null) {
            putNew(meta);
            return;
        }
        pending.put(postId, CaptionedPost.newBuilder(meta).setAnswers(partial.getAnswers())
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
        CaptionedPost partial = pending.get(postId);
        long age = context.currentSystemTimeMs() - task.getReceivedAt().toEpochMilli();
        if (partial == null && age > timeout.toMillis()) {
            throw new InvalidRecordException(DeadLetterReason.TIMEOUT.name(), "answer " + task.getTaskId()
                    + " arrived " + age + " ms after its post was split, later than "
                    + PipelineConfig.POST_TIMEOUT_MS_CONFIG + " = " + timeout.toMillis() + " ms; its post "
                    + postId + " completed without it");
        }
        Optional<CaptionedPost> added = CaptionedPosts.add(partial, answer);
        if (added.isEmpty()) {
            return;
        }
        CaptionedPost post = added.get();
        if (CaptionedPosts.isComplete(post, task.getImageCount())) {
            emit(post, record.timestamp());
        } else if (partial == null) {
            putNew(post);
        } else {
            pending.put(postId, post);
        }
    }

    /** A post that was not pending becomes pending; the oldest pending ones time out when that is one too many. */
    private void putNew(CaptionedPost post) {
        pending.put(post.getPostId(), post);
        pendingByTime.add(post.getReceivedAt().toEpochMilli(), post.getPostId());
        long over = pendingByTime.count() - maxPending;
        if (over > 0) {
            String why = "evicted: more than " + PipelineConfig.MAX_PENDING_POSTS_CONFIG + " = " + maxPending
                    + " posts were pending";
            pendingByTime.oldest((int) Math.min(over, PUNCTUATION_BATCH)).forEach(e -> timeOut(e, why));
        }
    }

    private void emit(CaptionedPost post, long timestamp) {
        String postId = post.getPostId();
        String rendered = renderer.render(post.getBody(), post.getImageUrls(), post.getAnswers());
        context.forward(new Record<>(postId, Checked.ok(CaptionedPost.newBuilder(post).setRenderedBody(rendered)
                .build()), timestamp));
        CaptionedPost was = pending.delete(postId);
        if (was != null) {
            pendingByTime.remove(was.getReceivedAt().toEpochMilli(), postId);
        }
        long now = context.currentSystemTimeMs();
        completed.put(postId, now);
        completedByTime.add(now, postId);
    }

    private void punctuate(long now) {
        String why = "no answer within " + PipelineConfig.POST_TIMEOUT_MS_CONFIG + " = " + timeout.toMillis() + " ms";
        pendingByTime.upTo(now - timeout.toMillis(), PUNCTUATION_BATCH).forEach(e -> timeOut(e, why));
        for (TimeIndex.Entry e : completedByTime.upTo(now - retention.toMillis(), PUNCTUATION_BATCH)) {
            Long at = completed.get(e.postId());
            if (at != null && at == e.time()) {
                completed.delete(e.postId());
            }
            completedByTime.remove(e.time(), e.postId());
        }
    }

    private void timeOut(TimeIndex.Entry e, String why) {
        CaptionedPost post = pending.get(e.postId());
        if (post == null || post.getReceivedAt().toEpochMilli() != e.time()) {
            pendingByTime.remove(e.time(), e.postId()); // left behind; indexes are written with their store
            return;
        }
        long now = context.currentSystemTimeMs();
        TimedOutImages t = TimedOutImages.complete(post, why, now);
        LOG.warn("post {} completed with {} of its images missing: {}", e.postId(), t.deadLetters().size(), why);
        for (DeadLetter d : t.deadLetters()) {
            context.forward(new Record<>(e.postId(), Checked.refused(d), now));
        }
        emit(t.post(), now);
    }

    /** After an upgrade from a version without the time indexes: index what the stores already hold, once. */
    private void indexStoresWrittenBeforeTheIndexes() {
        if (pendingByTime.count() == 0) {
            java.util.List<KeyValue<String, CaptionedPost>> posts = new java.util.ArrayList<>();
            try (KeyValueIterator<String, CaptionedPost> all = pending.all()) {
                all.forEachRemaining(posts::add);
            }
            long now = context.currentSystemTimeMs();
            for (KeyValue<String, CaptionedPost> e : posts) {
                CaptionedPost post = e.value;
                if (post.getReceivedAt().toEpochMilli() <= 0) { // metadata once had the epoch as a placeholder
                    post = CaptionedPost.newBuilder(post).setReceivedAt(java.time.Instant.ofEpochMilli(now)).build();
                    pending.put(e.key, post);
                }
                pendingByTime.add(post.getReceivedAt().toEpochMilli(), e.key);
            }
        }
        if (completedByTime.count() == 0) {
            try (KeyValueIterator<String, Long> all = completed.all()) {
                while (all.hasNext()) {
                    KeyValue<String, Long> e = all.next();
                    completedByTime.add(e.value, e.key);
                }
            }
        }
    }
}
