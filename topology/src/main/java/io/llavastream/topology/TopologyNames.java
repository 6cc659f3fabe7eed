package io.llavastream.topology;

/**
 * The name of every source, processor, branch, repartition, store and sink of {@link PipelineTopology}. Internal
 * topics are {@code <application.id>-<name>-repartition} and {@code <application.id>-<store>-changelog}, so a
 * renamed entry here is an incompatible topology change (state and in-flight repartitioned records are lost).
 */
public final class TopologyNames {
    // intake: posts -> validated posts
    public static final String POSTS_SOURCE = "posts-source";
    public static final String VALIDATE_POST = "validate-post";
    public static final String POST_BRANCH = "post-";
    public static final String REFUSED = "refused";
    public static final String ACCEPTED = "accepted";
    public static final String UNWRAP_POST = "unwrap-post";
    public static final String POST_DEAD_LETTER = "post-dead-letter";
    public static final String POST_DEAD_LETTERS_SINK = "post-dead-letters-sink";

    // split: one task per image
    public static final String SPLIT_IMAGES = "split-images";
    public static final String IMAGE_BRANCH = "image-";
    public static final String IMAGE_DEAD_LETTER = "image-dead-letter";
    public static final String IMAGE_DEAD_LETTERS_SINK = "image-dead-letters-sink";
    public static final String IMAGE_ERROR_ANSWER = "image-error-answer";
    public static final String IMAGE_ERROR_ANSWERS_SINK = "image-error-answers-sink";
    public static final String UNWRAP_IMAGE = "unwrap-image";

    // to the vision stage, on the partition of the cache key (the vision worker keeps the cache)
    public static final String KEY_BY_TASK_ID = "key-by-task-id";
    public static final String VISION_REQUESTS_SINK = "vision-requests-sink";

    // assembly: answers -> captioned posts
    public static final String ANSWERS_SOURCE = "answers-source";
    public static final String DECODE_ANSWER = "decode-answer";
    public static final String KEY_BY_POST = "key-by-post";
    public static final String ANSWER_PART = "answer-part";
    public static final String POST_METADATA = "post-metadata";
    public static final String KEY_POST_BY_ID = "key-post-by-id";
    public static final String MERGE_POST_PARTS = "merge-post-parts";
    /** Repartition of post metadata and answers ({@code PostPart}), keyed by post id: one partition holds both. */
    public static final String POST_PARTS_BY_POST = "post-parts-by-post";
    public static final String ASSEMBLE_POST = "assemble-post";
    public static final String PENDING_POSTS_STORE = "pending-posts";
    public static final String COMPLETED_POSTS_STORE = "completed-posts";
    /** Pending post ids in the order they were split: timeouts and the max.pending.posts bound read it. */
    public static final String PENDING_BY_TIME_STORE = "pending-posts-by-time";
    /** Completed post ids in the order they completed: completed.post.retention.ms reads it. */
    public static final String COMPLETED_BY_TIME_STORE = "completed-posts-by-time";
    public static final String ASSEMBLY_BRANCH = "assembly-";
    public static final String TIMED_OUT = "timed-out";
    public static final String COMPLETED = "completed";
    public static final String TIMEOUT_DEAD_LETTER = "timeout-dead-letter";
    public static final String TIMEOUT_DEAD_LETTERS_SINK = "timeout-dead-letters-sink";
    public static final String UNWRAP_CAPTIONED_POST = "unwrap-captioned-post";
    public static final String CAPTIONED_POSTS_SINK = "captioned-posts-sink";
    /**
     * The filter that lets only captioned posts that fit their topic on to the label topics: one that does not fit is
     * already dead-lettered by the captioned-posts sink, once.
     */
    public static final String ROUTE_IF_IT_FITS = "route-by-label-if-it-fits";
    /** Prefix of the filter that picks the captioned posts bound for one label topic; the topic's name follows. */
    public static final String ROUTE_BY_LABEL = "route-by-label-to-";
    /** Prefix of the sink of one label topic; the topic's name follows. */
    public static final String LABELED_POSTS_SINK = "labeled-posts-sink-";

    private TopologyNames() {
    }
}
