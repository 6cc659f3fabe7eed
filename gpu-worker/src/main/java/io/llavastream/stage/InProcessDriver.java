package io.llavastream.stage;

import io.llavastream.labels.LabellingMachine;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.rules.CacheKey;
import io.llavastream.rules.ImageTasks;
import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.tensor.WireDtype;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The pipeline in one process, with no Kafka: posts in, the records the Kafka pipeline would publish out (answers,
 * vision features, image embeddings). It applies the same rules as the topology ({@link PostChecks}, {@link
 * ImageTasks}, {@link CacheKey}) and runs the same stage machines as the workers, each wrapped in an {@link
 * IsolatingMachine}: vision for cache misses (with zero-shot labels when given a label set, as the vision worker's
 * {@link LabellingMachine}), merge, then decode with continuous batching. Replay, {@code caption},
 * {@code eval} and the in-process side of {@code bench pipeline} all run on it, so they answer exactly as the
 * pipeline does: the stages hand each other the same records the workers publish, Zv and Hv rounded to the same
 * {@link WireDtype} by the same codec.
 *
 * <p>A second image with the same cache key while the first is still in the vision stage waits for its features
 * instead of being encoded twice (vLLM's encoder cache does the same). Not thread-safe.
 */
public final class InProcessDriver implements AutoCloseable {
    /** Where the driver's results go. */
    public interface Sink {
        /** A record the Kafka pipeline would publish: an answer (ERROR ones included), features, an embedding. */
        void publish(Output<?> output);

        /** A post refused whole, which the topology would dead-letter. */
        default void refused(Post post, PostChecks.Refusal refusal) {
        }

        /** An image that failed in a stage or was refused; its ERROR answer also comes through {@link #publish}. */
        default void failed(String taskId, StageResult.Failure failure) {
        }
    }

    /** Counts since construction. */
    public record Stats(long posts, long refusedPosts, long images, long cacheHits, long cacheMisses,
                        long failedImages) {
    }

    /** The driver's own tag: unique per submit, naming the task (and, in the vision stage, its cache key). */
    private record Tag(long seq, TaskRef task, String cacheKey) {
    }

    private final PostChecks checks;
    private final String visionModelId;
    private final VisionCache cache;
    private final Sink sink;
    private final Clock clock;
    private final ErrorAnswers errors;
    private final IsolatingMachine<ImageTask> vision;
    private final IsolatingMachine<MergeRequest> merge;
    private final IsolatingMachine<DecodeRequest> decode;
    /** Tasks waiting for the features of an image in the vision stage, by cache key. */
    private final Map<String, List<TaskRef>> awaitingFeatures = new HashMap<>();
    private long seq;
    private long posts;
    private long refusedPosts;
    private long images;
    private long hits;
    private long misses;
    private long failed;
    private Map<String, String> sourceAdapters = Map.of();
    private String adapterForAll = "";
    private Supplier<LabelScorer> labels = LabelScorer::empty;

    /**
     * A driver over {@code model}'s parts (the caller keeps and closes the model), batches of up to {@code maxBatch}
     * images and as many sequences decoding at once, sampling with {@code sampling}, and the stages' tensors in the
     * default {@link WireDtype}.
     */
    public InProcessDriver(LlavaModel model, PostChecks checks, int maxBatch, SamplingParams sampling,
                           VisionCache cache, Clock clock, Sink sink) {
        this(model, checks, maxBatch, sampling, WireDtype.defaultDtype(), cache, clock, sink);
    }

    /**
     * As above, with the vision and merge stages writing Zv and Hv as {@code wire} (the {@link WireDtype} setting):
     * the records between the stages are the ones the Kafka workers publish with the same setting, encoded and
     * decoded by the same code, so the answers are the same tokens.
     */
    public InProcessDriver(LlavaModel model, PostChecks checks, int maxBatch, SamplingParams sampling, DType wire,
                           VisionCache cache, Clock clock, Sink sink) {
        this.checks = checks;
        this.visionModelId = model.visionModelId();
        this.cache = cache;
        this.sink = sink;
        this.clock = clock;
        this.errors = new ErrorAnswers(model.modelId(), clock);
        this.vision = new IsolatingMachine<>(new LabellingMachine(
                new VisionMachine(model.visionParts(), maxBatch, wire, clock), () -> labels.get()));
        this.merge = new IsolatingMachine<>(new MergeMachine(model.mergeParts(), maxBatch, wire, clock));
        this.decode = new IsolatingMachine<>(new DecodeMachine(model.decodeParts(), maxBatch, sampling, clock));
    }

    /** The pipeline's greedy decoding of up to {@link StageMachines#MAX_NEW_TOKENS} tokens. */
    public InProcessDriver(LlavaModel model, PostChecks checks, int maxBatch, VisionCache cache, Sink sink) {
        this(model, checks, maxBatch, WireDtype.defaultDtype(), cache, sink);
    }

    /** The pipeline's greedy decoding, with Zv and Hv as {@code wire}. */
    public InProcessDriver(LlavaModel model, PostChecks checks, int maxBatch, DType wire, VisionCache cache,
                           Sink sink) {
        this(model, checks, maxBatch, SamplingParams.greedy(StageMachines.MAX_NEW_TOKENS), wire, cache,
                Clock.systemUTC(), sink);
    }

    /**
     * The LoRA adapter of each source's images, as the topology's source.adapters sets it (TaskRef.adapter); the
     * model must have loaded them. Default: none, every image on the base model.
     */
    public void sourceAdapters(Map<String, String> bySource) {
        this.sourceAdapters = Map.copyOf(bySource);
    }

    /**
     * Zero-shot labels, as the vision worker gives them: every image (encoded or from the cache) is scored against
     * the label set {@code scorers} holds when its features are ready. Default: none.
     */
    public void labels(Supplier<LabelScorer> scorers) {
        this.labels = scorers;
    }

    /** Every image, whatever its source, decodes with {@code adapter} ("" = back to {@link #sourceAdapters}). */
    public void adapterForAll(String adapter) {
        this.adapterForAll = adapter == null ? "" : adapter;
    }

    /** Checks and splits {@code post}, queues its images, and runs whichever stage has a full batch. */
    public void submit(Post post) {
        posts++;
        PostChecks.Refusal refusal = checks.refusal(post);
        if (refusal != null) {
            refusedPosts++;
            sink.refused(post, refusal);
            return;
        }
        for (ImageTask task : ImageTasks.split(post, checks.prompts(),
                adapterForAll.isEmpty() ? sourceAdapters : Map.of(post.getSource(), adapterForAll), clock.instant())) {
            images++;
            route(task);
        }
        pump(false);
    }

    /** Runs every stage until nothing is in flight: every submitted image has its answer. */
    public void drain() {
        while (inFlight() > 0) {
            pump(true);
        }
    }

    public int inFlight() {
        return vision.inFlight() + merge.inFlight() + decode.inFlight();
    }

    public Stats stats() {
        return new Stats(posts, refusedPosts, images, hits, misses, failed);
    }

    /** 1. refused image: ERROR answer; 2. cache hit: merge; 3. same image in the vision stage: wait; 4. vision. */
    private void route(ImageTask task) {
        TaskRef ref = task.getTask();
        PostChecks.Refusal refusal = checks.refusal(task);
        if (refusal != null) {
            fail(ref.getTaskId(), new StageResult.Failure(refusal.reason(), refusal.message()));
            sink.publish(errors.of(ref, refusal.reason(), refusal.message()));
            return;
        }
        String key = CacheKey.of(ref.getImageSha256(), visionModelId);
        VisionFeatures cached = cache.get(key);
        if (cached != null) {
            hits++;
            merge.submit(tag(ref), LabellingMachine.labelled(MergeRequest.newBuilder().setTask(ref).setFeatures(cached)
                    .setCacheHit(true).build(), labels.get()));
        } else if (awaitingFeatures.containsKey(key)) {
            hits++;
            awaitingFeatures.get(key).add(ref);
        } else {
            misses++;
            awaitingFeatures.put(key, new ArrayList<>());
            vision.submit(new Tag(seq++, ref, key), task);
        }
    }

    /** Steps each stage whose batch is full (or, when {@code all}, that holds anything), in pipeline order. */
    private void pump(boolean all) {
        if (vision.inFlight() >= vision.capacity() || (all && vision.inFlight() > 0)) {
            collect(vision.step());
        }
        if (merge.inFlight() >= merge.capacity() || (all && merge.inFlight() > 0)) {
            collect(merge.step());
        }
        if (decode.inFlight() > 0 && (all || decode.inFlight() >= decode.capacity() / 2)) {
            collect(decode.step());
        }
        while (decode.inFlight() >= decode.capacity()) {
            collect(decode.step());
        }
    }

    private void collect(List<Finished> done) {
        for (Finished f : done) {
            Tag tag = (Tag) f.tag();
            f.result().failure().ifPresent(failure -> {
                fail(tag.task().getTaskId(), failure);
                failWaiting(tag.cacheKey(), failure);
            });
            for (Output<?> o : f.result().outputs()) {
                forward(o);
            }
        }
    }

    /** Hands an output to the next stage, or to the sink; vision features also fill the cache. */
    private void forward(Output<?> o) {
        if (o.value() instanceof MergeRequest m) {
            merge.submit(tag(m.getTask()), m);
        } else if (o.value() instanceof DecodeRequest d) {
            decode.submit(tag(d.getTask()), d);
        } else {
            if (o.topic() == Topics.VISION_FEATURES) {
                featuresArrived(o.key(), (VisionFeatures) o.value());
            }
            sink.publish(o);
        }
    }

    /** Caches the features and sends the tasks that waited for them on to the merge stage. */
    private void featuresArrived(String key, VisionFeatures features) {
        cache.put(key, features);
        List<TaskRef> waiting = awaitingFeatures.remove(key);
        if (waiting != null) {
            for (TaskRef ref : waiting) {
                merge.submit(tag(ref), LabellingMachine.labelled(MergeRequest.newBuilder().setTask(ref)
                        .setFeatures(features).setCacheHit(true).build(), labels.get()));
            }
        }
    }

    /** The same bytes fail the same way: the tasks that waited for a failed image's features fail with it. */
    private void failWaiting(String cacheKey, StageResult.Failure failure) {
        List<TaskRef> waiting = cacheKey == null ? null : awaitingFeatures.remove(cacheKey);
        if (waiting != null) {
            for (TaskRef ref : waiting) {
                fail(ref.getTaskId(), failure);
                sink.publish(errors.of(ref, failure.reason(), failure.message()));
            }
        }
    }

    private void fail(String taskId, StageResult.Failure failure) {
        failed++;
        sink.failed(taskId, failure);
    }

    private Tag tag(TaskRef ref) {
        return new Tag(seq++, ref, null);
    }

    @Override
    public void close() {
        vision.close();
        merge.close();
        decode.close();
    }
}
