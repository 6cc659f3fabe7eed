package io.llavastream.stage;

import io.llavastream.rules.CacheKey;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The vision stage with its encoder cache in front, as the vision worker runs it (vLLM consults its encoder cache
 * the same way): each image of a batch is looked up in the {@link EncoderCache} by {@link CacheKey}; a hit skips the
 * vision compute and goes on as a merge request with {@code cache_hit = true} (its bytes must still hash to the
 * task's SHA-256, so a forged request cannot borrow another image's features); the misses go to the wrapped
 * {@link VisionMachine} together, and several copies of one image in a batch are encoded once (the others are hits
 * on the first one's features).
 *
 * <p>Features this machine computes enter the cache only once their transaction has committed ({@link #committed}):
 * a hit must never stand in for features that an aborted transaction took back, or the image's vision-features
 * and image-embeddings records would never be written. The cache is also filled from the compacted vision-features
 * topic (by the worker's restorer), so features computed by another worker, an earlier run or before a restart are
 * hits too.
 *
 * <p>Reads {@link Topics#VISION_REQUESTS}; writes what {@link VisionMachine} writes for a miss ({@link
 * Topics#VISION_FEATURES}, {@link Topics#IMAGE_EMBEDDINGS}, {@link Topics#MERGE_REQUESTS}, {@link Topics#ANSWERS}
 * for failed images) and only {@link Topics#MERGE_REQUESTS} for a hit.
 */
public final class CachedVisionMachine implements StageMachine<ImageTask> {
    private final VisionMachine vision;
    private final String visionModelId;
    private final EncoderCache cache;
    private final List<Object> tags = new ArrayList<>();
    private final List<ImageTask> inputs = new ArrayList<>();
    /** Features computed for an input whose outputs are not committed yet, by the input's tag. */
    private final Map<Object, Computed> uncommitted = new HashMap<>();

    private record Computed(String cacheKey, VisionFeatures features) {
    }

    /** {@code vision} (which this machine closes) behind {@code cache}, for the vision tower {@code visionModelId}. */
    public CachedVisionMachine(VisionMachine vision, String visionModelId, EncoderCache cache) {
        this.vision = vision;
        this.visionModelId = visionModelId;
        this.cache = cache;
    }

    @Override
    public StageName stage() {
        return vision.stage();
    }

    @Override
    public Topic<ImageTask> input() {
        return vision.input();
    }

    @Override
    public boolean continuous() {
        return false;
    }

    @Override
    public int capacity() {
        return vision.capacity();
    }

    @Override
    public int inFlight() {
        return inputs.size();
    }

    @Override
    public void submit(Object tag, ImageTask input) {
        tags.add(tag);
        inputs.add(input);
    }

    /** Looks every queued image up, encodes the misses in one batch; the machine is empty afterwards. */
    @Override
    public List<Finished> step() {
        if (inputs.isEmpty()) {
            return List.of();
        }
        List<Object> t = List.copyOf(tags);
        List<ImageTask> batch = List.copyOf(inputs);
        tags.clear();
        inputs.clear();
        StageResult[] results = new StageResult[batch.size()];
        Map<String, Integer> firstMiss = new LinkedHashMap<>();
        Map<Integer, Integer> copies = new LinkedHashMap<>();  // a later copy of an image -> its first miss
        for (int i = 0; i < batch.size(); i++) {
            String key = cacheKey(batch.get(i));
            Integer first = firstMiss.get(key);
            if (first != null) {
                copies.put(i, first);
                continue;
            }
            VisionFeatures hit = cache.lookup(key);
            if (hit != null) {
                results[i] = hit(batch.get(i), hit);
            } else {
                firstMiss.put(key, i);
            }
        }
        encode(t, batch, new ArrayList<>(firstMiss.values()), results);
        List<Integer> again = new ArrayList<>();
        copies.forEach((i, first) -> {
            VisionFeatures f = features(results[first]);
            if (f != null) {
                cache.countHit();
                results[i] = hit(batch.get(i), f);
            } else {
                again.add(i);  // the first copy failed: this one is judged on its own bytes
            }
        });
        encode(t, batch, again, results);
        List<Finished> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            out.add(new Finished(t.get(i), results[i]));
        }
        return out;
    }

    /** One run of the vision machine over {@code which} inputs; their features wait for {@link #committed}. */
    private void encode(List<Object> t, List<ImageTask> batch, List<Integer> which, StageResult[] results) {
        if (which.isEmpty()) {
            return;
        }
        List<StageResult> encoded = vision.process(which.stream().map(batch::get).toList());
        for (int j = 0; j < which.size(); j++) {
            int i = which.get(j);
            results[i] = encoded.get(j);
            VisionFeatures f = features(encoded.get(j));
            if (f != null) {
                uncommitted.put(t.get(i), new Computed(cacheKey(batch.get(i)), f));
            }
        }
    }

    /**
     * A hit: the merge request with the cached features, after checking that the image bytes are the image the
     * task's SHA-256 names; a mismatch fails the input as the vision machine would (IMAGE_HASH_MISMATCH).
     */
    private StageResult hit(ImageTask task, VisionFeatures features) {
        String sha = ImageTasks.sha256Hex(task.getImage().duplicate());
        if (!sha.equals(task.getTask().getImageSha256())) {
            return vision.failed(task, DeadLetterReason.IMAGE_HASH_MISMATCH, "image bytes hash to " + sha
                    + ", the task says " + task.getTask().getImageSha256());
        }
        MergeRequest m = MergeRequest.newBuilder().setTask(task.getTask()).setFeatures(features).setCacheHit(true)
                .build();
        return StageResult.ok(List.of(new Output<>(Topics.MERGE_REQUESTS, task.getTask().getTaskId(), m)));
    }

    /** The vision-features output of a successful result, or null. */
    private static VisionFeatures features(StageResult r) {
        if (r == null || r.isFailure()) {
            return null;
        }
        for (Output<?> o : r.outputs()) {
            if (o.topic() == Topics.VISION_FEATURES) {
                return (VisionFeatures) o.value();
            }
        }
        return null;
    }

    private String cacheKey(ImageTask task) {
        return CacheKey.of(task.getTask().getImageSha256(), visionModelId);
    }

    /** The outputs of these inputs are committed: the features they computed become cache entries. */
    @Override
    public void committed(Collection<?> committedTags) {
        for (Object tag : committedTags) {
            Computed c = uncommitted.remove(tag);
            if (c != null) {
                cache.put(c.cacheKey(), c.features());
            }
        }
    }

    @Override
    public StageResult failed(ImageTask input, DeadLetterReason reason, String message) {
        return vision.failed(input, reason, message);
    }

    @Override
    public void cancel(Collection<?> cancelled) {
        for (int i = tags.size() - 1; i >= 0; i--) {
            if (cancelled.contains(tags.get(i))) {
                tags.remove(i);
                inputs.remove(i);
            }
        }
        uncommitted.keySet().removeAll(cancelled);
    }

    /**
     * Drops the queue and every uncommitted computation: the driver resets after a failed transaction (its
     * features were taken back) and the isolating wrapper after a failed step (nothing of it was computed).
     */
    @Override
    public void reset() {
        tags.clear();
        inputs.clear();
        uncommitted.clear();
    }

    /** The cache this machine consults. */
    public EncoderCache cache() {
        return cache;
    }

    @Override
    public void close() {
        reset();
        vision.close();
    }
}
