package io.llavastream.topology;

import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import io.llavastream.rules.PostChecks;
import io.llavastream.rules.PromptRule;
import io.llavastream.rules.SourcePrompts;
import org.apache.kafka.common.config.ConfigException;

/**
 * The topology's settings. {@link #DEFINITION} declares each one once (name, type, default, validator, doc) and is
 * its documentation; {@code ./llava-stream topology --list-config} prints it. Kafka client settings (bootstrap
 * servers, security) are not here: {@link StreamsProperties} takes them separately.
 */
public final class PipelineConfig extends AbstractConfig {
    public static final String APPLICATION_ID_CONFIG = "application.id";
    public static final String VISION_MODEL_ID_CONFIG = "vision.model.id";
    public static final String DEFAULT_PROMPT_CONFIG = "default.prompt";
    public static final String SOURCE_PROMPTS_CONFIG = SourcePrompts.CONFIG;
    public static final String SOURCE_ADAPTERS_CONFIG = io.llavastream.rules.SourceAdapters.CONFIG;
    public static final String MAX_QUESTION_CHARS_CONFIG = "max.question.chars";
    public static final String CAPTION_FORMAT_CONFIG = "caption.format";
    public static final String CAPTION_FAILED_FORMAT_CONFIG = "caption.failed.format";
    public static final String MAX_IMAGES_PER_POST_CONFIG = "max.images.per.post";
    public static final String MAX_IMAGE_BYTES_CONFIG = "max.image.bytes";
    public static final String COMPLETED_POST_RETENTION_MS_CONFIG = "completed.post.retention.ms";
    public static final String REPLICATION_FACTOR_CONFIG = "replication.factor";
    public static final String NUM_STREAM_THREADS_CONFIG = "num.stream.threads";
    public static final String STATE_DIR_CONFIG = "state.dir";
    public static final String POST_TIMEOUT_MS_CONFIG = "post.timeout.ms";
    public static final String MAX_PENDING_POSTS_CONFIG = "max.pending.posts";
    public static final String MAX_RECORD_ATTEMPTS_CONFIG = "max.record.attempts";
    public static final String THREAD_REPLACE_BACKOFF_MS_CONFIG = "thread.replace.backoff.ms";
    public static final String THREAD_REPLACE_BACKOFF_MAX_MS_CONFIG = "thread.replace.backoff.max.ms";
    public static final String MAX_THREAD_FAILURES_CONFIG = "max.thread.failures";
    public static final String LABEL_TOPICS_CONFIG = "label.topics";
    public static final String LABEL_DEFAULT_TOPIC_CONFIG = "label.default.topic";

    /** The placeholder a prompt must contain exactly once: where the image's features are merged in. */
    public static final String IMAGE_PLACEHOLDER = PromptRule.IMAGE_PLACEHOLDER;

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(APPLICATION_ID_CONFIG, Type.STRING, "llava-topology", new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Kafka Streams application id: the consumer group, the transactional id prefix "
                            + "and the prefix of the internal topics (repartition, changelog).")
            .define(VISION_MODEL_ID_CONFIG, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, new ConfigDef.NonEmptyString(),
                    Importance.HIGH, "Id of the vision tower the vision workers run, e.g. llava-stream/demo-v1-vision-02d6bfcf2b9b. "
                            + "Vision requests are keyed, and the vision workers' cache is keyed, by \"<image sha256>|<vision.model.id>\", so features of another "
                            + "vision model are never reused. Must equal the vision_model_id the vision workers write.")
            .define(DEFAULT_PROMPT_CONFIG, Type.STRING, PromptRule.defaults().defaultPrompt(),
                    ConfigDef.LambdaValidator.with(PipelineConfig::requireOnePlaceholder,
                            () -> "a prompt with exactly one " + IMAGE_PLACEHOLDER),
                    Importance.MEDIUM, "Prompt for a post without a question whose source has no entry in "
                            + SOURCE_PROMPTS_CONFIG + ". A post with a question gets "
                            + "\"USER: <image>\\n{question} ASSISTANT:\" instead.")
            .define(SOURCE_PROMPTS_CONFIG, Type.STRING, "",
                    ConfigDef.LambdaValidator.with((name, value) -> SourcePrompts.parse((String) value),
                            () -> "source=template;source=template, each template with exactly one "
                                    + IMAGE_PLACEHOLDER),
                    Importance.MEDIUM, "Prompt templates per source (Post.source, e.g. a forum), as "
                            + "\"source=template;source=template\". In a template \\n is a newline, \\; a ';' "
                            + "and \\\\ a backslash; the source ends at the first '='; each template must contain "
                            + IMAGE_PLACEHOLDER + " exactly once. Example: \"re-forum=USER: <image>\\nDescribe the "
                            + "code or tool shown in this screenshot. ASSISTANT:\". Precedence: the post's own "
                            + "question, then its source's template, then " + DEFAULT_PROMPT_CONFIG + ".")
            .define(SOURCE_ADAPTERS_CONFIG, Type.STRING, "",
                    ConfigDef.LambdaValidator.with(
                            (name, value) -> io.llavastream.rules.SourceAdapters.parse((String) value),
                            () -> "source=adapter;source=adapter"),
                    Importance.MEDIUM, "LoRA adapter per source (Post.source), as \"source=adapter;source=adapter\" "
                            + "(docs/adapters.md): every image of a post from that source carries the adapter's "
                            + "name (TaskRef.adapter) and the decode stage decodes it with that adapter, in the same "
                            + "batch as the others; its answer is tagged with it (Answer.adapter). A source without "
                            + "an entry decodes on the base model. The decode workers must load every adapter named "
                            + "here (worker decode.adapters); a request for one they lack is answered ERROR and "
                            + "dead-lettered (BAD_DECODE_REQUEST). Example: \"shop=catalog;blog=terse\".")
            .define(MAX_QUESTION_CHARS_CONFIG, Type.INT, PromptRule.DEFAULT_MAX_QUESTION_CHARS, Range.atLeast(1),
                    Importance.MEDIUM, "Longest question, in UTF-16 chars, a post may carry. A post with a longer "
                            + "one is dead-lettered whole (QUESTION_TOO_LONG) before anything tokenizes it: the "
                            + "question is copied into every image's task.")
            .define(CAPTION_FORMAT_CONFIG, Type.STRING, CaptionFormat.DEFAULT, Importance.LOW,
                    "How an image reference in a post's body is replaced in CaptionedPost.rendered_body: "
                            + "{caption} is the image's caption, {index} its 0-based index.")
            .define(CAPTION_FAILED_FORMAT_CONFIG, Type.STRING, CaptionFormat.DEFAULT_FAILED, Importance.LOW,
                    "Like " + CAPTION_FORMAT_CONFIG + ", for an image that failed: {error} is why, {index} its "
                            + "0-based index.")
            .define(LABEL_TOPICS_CONFIG, Type.LIST, LabelRouting.DEMO_MAPPING,
                    ConfigDef.LambdaValidator.with((name, value) -> LabelRouting.parse(asStrings(value)),
                            () -> "label=topic,label=topic: a label name (letters, digits, '.', '_', '-') and a "
                                    + "legal topic name, each label once"),
                    Importance.MEDIUM, "Where captioned posts go by zero-shot label (docs/labels.md): a copy of "
                            + "each captioned post is written to the topic of every label any of its images "
                            + "carries, once per topic, in the same transaction as the post on "
                            + Topics.CAPTIONED_POSTS.name() + ". A label not listed routes nowhere. The topology "
                            + "creates a listed topic that does not exist at start, partitioned and configured as "
                            + Topics.CAPTIONED_POSTS.name() + ". Empty: no routing by label (and no default topic).")
            .define(LABEL_DEFAULT_TOPIC_CONFIG, Type.STRING, Topics.UNLABELED_POSTS.name(), Importance.MEDIUM,
                    "Where a captioned post goes that carries no label of " + LABEL_TOPICS_CONFIG + " (no image "
                            + "reached a threshold, no label set in force, or only unrouted labels). Empty: such "
                            + "posts are only on " + Topics.CAPTIONED_POSTS.name() + ".")
            .define(MAX_IMAGES_PER_POST_CONFIG, Type.INT, PostChecks.DEFAULT_MAX_IMAGES_PER_POST, Range.atLeast(1), Importance.MEDIUM,
                    "A post with more images than this is dead-lettered whole (TOO_MANY_IMAGES).")
            .define(MAX_IMAGE_BYTES_CONFIG, Type.INT, PostChecks.DEFAULT_MAX_IMAGE_BYTES, Range.between(1, Topics.MAX_RECORD_BYTES),
                    Importance.MEDIUM, "Largest encoded image, in bytes, that goes to the vision stage. A larger "
                            + "one is dead-lettered (IMAGE_TOO_LARGE) and answered with finish_reason ERROR, so its "
                            + "post still completes with that image marked failed.")
            .define(COMPLETED_POST_RETENTION_MS_CONFIG, Type.LONG, Duration.ofHours(24).toMillis(),
                    Range.atLeast(1000), Importance.LOW, "How long, in ms of wall-clock time, the assembly remembers "
                            + "that a post was completed (by its answers or by " + POST_TIMEOUT_MS_CONFIG + "), so "
                            + "that an answer re-delivered after completion (a worker replaying after a crash) or the "
                            + "same post id submitted again neither emits the post again nor starts a new aggregate. "
                            + "At least " + POST_TIMEOUT_MS_CONFIG + ". Forgotten posts are deleted from the store "
                            + "by a wall-clock punctuator (every second at most).")
            .define(POST_TIMEOUT_MS_CONFIG, Type.LONG, Duration.ofMinutes(15).toMillis(), Range.atLeast(1),
                    Importance.MEDIUM, "How long, in ms of wall-clock time from when the topology read a post, the "
                            + "assembly waits for its answers. Then the post completes anyway: each image still "
                            + "without an answer is marked failed with error \"TIMEOUT: ...\" (rendered with "
                            + CAPTION_FAILED_FORMAT_CONFIG + ") and gets a dead letter (TIMEOUT, key "
                            + "<post_id>/<image_index>, no value). An answer that arrives later is dropped, or "
                            + "dead-lettered (TIMEOUT) once the post is forgotten. Time the topology is down counts.")
            .define(MAX_PENDING_POSTS_CONFIG, Type.INT, 100_000, Range.atLeast(1), Importance.LOW,
                    "Most posts waiting for answers in one assembly task (one per partition of the post-parts "
                            + "repartition topic, 6 by default). When one more arrives, the oldest pending posts "
                            + "complete at once as if " + POST_TIMEOUT_MS_CONFIG + " had passed (TIMEOUT, "
                            + "\"evicted\").")
            .define(MAX_RECORD_ATTEMPTS_CONFIG, Type.INT, 3, Range.atLeast(1), Importance.LOW,
                    "How many times a record may kill a stream thread (an Error, or a failure no exception handler "
                            + "resumes from, that is not transient) before it is dead-lettered (REPEATED_FAILURE) "
                            + "instead of processed when it comes again. Counted in memory, per process.")
            .define(THREAD_REPLACE_BACKOFF_MS_CONFIG, Type.LONG, 1000L, Range.atLeast(0), Importance.LOW,
                    "Wait before a dead stream thread is replaced; doubled for each further death in a row, up to "
                            + THREAD_REPLACE_BACKOFF_MAX_MS_CONFIG + ".")
            .define(THREAD_REPLACE_BACKOFF_MAX_MS_CONFIG, Type.LONG, 60_000L, Range.atLeast(0), Importance.LOW,
                    "Longest wait before a dead stream thread is replaced.")
            .define(MAX_THREAD_FAILURES_CONFIG, Type.INT, 10, Range.atLeast(1), Importance.LOW,
                    "Stream thread deaths in a row (each replacement dying within "
                            + THREAD_REPLACE_BACKOFF_MAX_MS_CONFIG + " of its start) after which the instance stops "
                            + "(state ERROR; ./llava-stream topology exits 1) instead of replacing the thread again: "
                            + "a failure that no record explains (e.g. the schema registry unreachable for minutes, "
                            + "a transaction that cannot commit) is left to the supervisor's restart.")
            .define(REPLICATION_FACTOR_CONFIG, Type.SHORT, (short) -1, Range.atLeast(-1), Importance.MEDIUM,
                    "Replication factor of the internal topics; -1 takes the broker's default.replication.factor. "
                            + "1 for the embedded single broker.")
            .define(NUM_STREAM_THREADS_CONFIG, Type.INT, 1, Range.atLeast(1), Importance.LOW,
                    "Stream threads in this instance; more instances or threads share the topics' partitions.")
            .define(STATE_DIR_CONFIG, Type.STRING, null, Importance.LOW,
                    "Directory of the local state stores (RocksDB); null takes Kafka Streams' default under "
                            + "java.io.tmpdir. Two instances on one machine need different directories. The id of "
                            + "the Kafka cluster the state was built from is kept beside it (<state.dir>/"
                            + "<application.id>/llava-cluster-id); state from another cluster is wiped at start.");

    public PipelineConfig(Map<?, ?> settings) {
        super(DEFINITION, settings);
        if (completedPostRetention().compareTo(postTimeout()) < 0) {
            throw new ConfigException(COMPLETED_POST_RETENTION_MS_CONFIG, completedPostRetention().toMillis(),
                    "must be at least " + POST_TIMEOUT_MS_CONFIG + " = " + postTimeout().toMillis() + ", or an "
                            + "answer arriving after its post timed out could start the post again");
        }
    }

    /** {@value #LABEL_TOPICS_CONFIG} and {@value #LABEL_DEFAULT_TOPIC_CONFIG}, parsed. */
    public LabelRouting labelRouting() {
        return new LabelRouting(LabelRouting.parse(getList(LABEL_TOPICS_CONFIG)),
                getList(LABEL_TOPICS_CONFIG).isEmpty() ? "" : getString(LABEL_DEFAULT_TOPIC_CONFIG));
    }

    @SuppressWarnings("unchecked")
    private static java.util.List<String> asStrings(Object value) {
        return (java.util.List<String>) value;
    }

    public String applicationId() {
        return getString(APPLICATION_ID_CONFIG);
    }

    public String visionModelId() {
        return getString(VISION_MODEL_ID_CONFIG);
    }

    public String defaultPrompt() {
        return getString(DEFAULT_PROMPT_CONFIG);
    }

    /** {@value #SOURCE_PROMPTS_CONFIG}, parsed: source to prompt template. */
    /** source to LoRA adapter name ({@value #SOURCE_ADAPTERS_CONFIG}). */
    public Map<String, String> sourceAdapters() {
        return io.llavastream.rules.SourceAdapters.parse(getString(SOURCE_ADAPTERS_CONFIG));
    }

    public Map<String, String> sourcePrompts() {
        return SourcePrompts.parse(getString(SOURCE_PROMPTS_CONFIG));
    }

    /** The prompt rule: question, else {@value #SOURCE_PROMPTS_CONFIG}, else {@value #DEFAULT_PROMPT_CONFIG}. */
    public PromptRule promptRule() {
        return new PromptRule(defaultPrompt(), sourcePrompts(), getInt(MAX_QUESTION_CHARS_CONFIG));
    }

    /** The post checks ({@value #MAX_IMAGES_PER_POST_CONFIG}, {@value #MAX_IMAGE_BYTES_CONFIG}, the prompt rule). */
    public PostChecks postChecks() {
        return new PostChecks(maxImagesPerPost(), maxImageBytes(), promptRule());
    }

    CaptionFormat captionFormat() {
        return new CaptionFormat(getString(CAPTION_FORMAT_CONFIG), getString(CAPTION_FAILED_FORMAT_CONFIG));
    }

    public int maxImagesPerPost() {
        return getInt(MAX_IMAGES_PER_POST_CONFIG);
    }

    public int maxImageBytes() {
        return getInt(MAX_IMAGE_BYTES_CONFIG);
    }

    public Duration completedPostRetention() {
        return Duration.ofMillis(getLong(COMPLETED_POST_RETENTION_MS_CONFIG));
    }

    public Duration postTimeout() {
        return Duration.ofMillis(getLong(POST_TIMEOUT_MS_CONFIG));
    }

    public int maxPendingPosts() {
        return getInt(MAX_PENDING_POSTS_CONFIG);
    }

    public int maxRecordAttempts() {
        return getInt(MAX_RECORD_ATTEMPTS_CONFIG);
    }

    public Duration threadReplaceBackoff() {
        return Duration.ofMillis(getLong(THREAD_REPLACE_BACKOFF_MS_CONFIG));
    }

    public Duration threadReplaceBackoffMax() {
        return Duration.ofMillis(getLong(THREAD_REPLACE_BACKOFF_MAX_MS_CONFIG));
    }

    public int maxThreadFailures() {
        return getInt(MAX_THREAD_FAILURES_CONFIG);
    }

    public short replicationFactor() {
        return getShort(REPLICATION_FACTOR_CONFIG);
    }

    public int numStreamThreads() {
        return getInt(NUM_STREAM_THREADS_CONFIG);
    }

    /** The state directory, or null for Kafka Streams' default. */
    public String stateDir() {
        return getString(STATE_DIR_CONFIG);
    }

    static void requireOnePlaceholder(String name, Object value) {
        String s = (String) value;
        int first = s == null ? -1 : s.indexOf(IMAGE_PLACEHOLDER);
        if (first < 0 || s.indexOf(IMAGE_PLACEHOLDER, first + 1) >= 0) {
            throw new ConfigException(name, value, "must contain " + IMAGE_PLACEHOLDER + " exactly once");
        }
    }
}
