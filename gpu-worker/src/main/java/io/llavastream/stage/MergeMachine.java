package io.llavastream.stage;

import io.llavastream.model.LlavaConfig;
import io.llavastream.model.MergeParts;
import io.llavastream.model.text.PromptException;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The merge stage (LLaVA's projection and token merge): the projector maps each image's Zv [P,Dv] to Hv [P,D] in
 * one run over the batch, the prompt is tokenized with its {@code <image>} expanded to P placeholders, and Hv
 * replaces those placeholders' embeddings. Publishes the decode request, input_ids [T] and inputs_embeds [T,D]
 * (FP32), keyed by task id. A bad prompt (BAD_PROMPT), features of the wrong shape or bytes (BAD_TENSOR) or of
 * another vision tower (MODEL_MISMATCH) fail alone, with an ERROR answer.
 *
 * <p>Reads {@link Topics#MERGE_REQUESTS}; writes {@link Topics#DECODE_REQUESTS} and, for failed requests,
 * {@link Topics#ANSWERS}.
 */
public final class MergeMachine extends BatchMachine<MergeRequest> {
    private final MergeParts parts;
    private final String visionModelId;
    private final int patches;
    private final int featureDim;
    private final int hiddenSize;
    private final ErrorAnswers errors;

    /** One request ready for the projector: its Zv [P,Dv], its expanded ids [T], and the time spent so far. */
    private record Prepared(int index, float[] zv, long[] ids, long nanos) {
    }

    /** A machine over {@code parts} (which the caller keeps and closes) taking batches of up to {@code maxBatch}. */
    public MergeMachine(MergeParts parts, int maxBatch, Clock clock) {
        super(maxBatch);
        LlavaConfig c = parts.config();
        this.parts = parts;
        this.visionModelId = parts.visionModelId();
        this.patches = parts.merge().tokensPerImage();
        this.featureDim = c.vision().hiddenSize();
        this.hiddenSize = c.text().hiddenSize();
        this.errors = new ErrorAnswers(parts.modelId(), clock);
    }

    @Override
    public StageName stage() {
        return StageName.MERGE;
    }

    @Override
    public Topic<MergeRequest> input() {
        return Topics.MERGE_REQUESTS;
    }

    @Override
    public List<StageResult> process(List<MergeRequest> batch) {
        StageResult[] results = new StageResult[batch.size()];
        List<Prepared> ready = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            try {
                ready.add(prepare(i, batch.get(i)));
            } catch (PromptException e) {
                results[i] = failed(batch.get(i), DeadLetterReason.BAD_PROMPT, e.reason() + ": " + e.getMessage());
            } catch (BadFeaturesException e) {
                results[i] = failed(batch.get(i), e.reason, e.getMessage());
            }
        }
        if (!ready.isEmpty()) {
            merge(batch, ready, results);
        }
        return List.of(results);
    }

    @Override
    public StageResult failed(MergeRequest input, DeadLetterReason reason, String message) {
        return StageResult.failed(reason, message,
                List.of(errors.of(input.getTask(), reason, message, timings(input, 0))));
    }

    private Prepared prepare(int index, MergeRequest r) {
        long t0 = System.nanoTime();
        String visionModel = r.getFeatures().getVisionModelId();
        if (!visionModel.equals(visionModelId)) {
            throw new BadFeaturesException(DeadLetterReason.MODEL_MISMATCH, "features come from vision model "
                    + visionModel + ", this projector belongs to the vision tower " + visionModelId);
        }
        float[] zv = zv(r);
        long[] ids = parts.merge().expand(parts.tokenizer().encode(r.getTask().getPrompt()), 1);
        return new Prepared(index, zv, ids, System.nanoTime() - t0);
    }

    /** The request's Zv, after checking it is [P, Dv] for this model and that its bytes fill that shape. */
    private float[] zv(MergeRequest r) {
        int[] shape;
        try {
            shape = TensorCodec.shape(r.getFeatures().getPatchFeatures());
        } catch (RuntimeException e) {
            throw new BadFeaturesException(DeadLetterReason.BAD_TENSOR, "patch_features: " + e.getMessage());
        }
        if (shape.length != 2 || shape[0] != patches || shape[1] != featureDim) {
            throw new BadFeaturesException(DeadLetterReason.BAD_TENSOR, "patch_features has shape "
                    + Arrays.toString(shape) + ", expected [" + patches + ", " + featureDim + "]");
        }
        try {
            return TensorCodec.floats(r.getFeatures().getPatchFeatures());
        } catch (RuntimeException e) {  // whatever TensorCodec refuses is a bad tensor, not a model failure
            throw new BadFeaturesException(DeadLetterReason.BAD_TENSOR, "patch_features: " + e.getMessage());
        }
    }

    /** One projector run over the batch ([N,P,Dv] to [N,P,D]), then the per-prompt embed and scatter. */
    private void merge(List<MergeRequest> batch, List<Prepared> ready, StageResult[] results) {
        long t0 = System.nanoTime();
        float[] hv = parts.projector().project(FloatArrays.concat(ready.stream().map(Prepared::zv).toList()),
                ready.size(), patches);
        long projectorEach = (System.nanoTime() - t0) / ready.size();
        for (int j = 0; j < ready.size(); j++) {
            Prepared p = ready.get(j);
            long t1 = System.nanoTime();
            float[] embeds = parts.merge().scatter(p.ids(), parts.embedder().embed(p.ids()),
                    List.of(FloatArrays.slice(hv, ready.size(), j)));
            long nanos = p.nanos() + projectorEach + System.nanoTime() - t1;
            results[p.index()] = StageResult.ok(List.of(request(batch.get(p.index()), p.ids(), embeds,
                    nanos / 1e6)));
        }
    }

    private Output<DecodeRequest> request(MergeRequest r, long[] ids, float[] embeds, double mergeMs) {
        TaskRef task = r.getTask();
        DecodeRequest d = DecodeRequest.newBuilder()
                .setTask(task)
                .setInputIds(Arrays.stream(ids).boxed().toList())
                .setInputsEmbeds(TensorCodec.fp32(embeds, ids.length, hiddenSize))
                .setModelId(parts.modelId())
                .setTimings(timings(r, mergeMs))
                .build();
        return new Output<>(Topics.DECODE_REQUESTS, task.getTaskId(), d);
    }

    /** Timings so far: the vision tower's share (0 on a cache hit: nothing ran for this image) and the merge. */
    private static StageTimings timings(MergeRequest r, double mergeMs) {
        return StageTimings.newBuilder()
                .setVisionMs(r.getCacheHit() ? 0 : r.getFeatures().getVisionMs())
                .setVisionCacheHit(r.getCacheHit())
                .setMergeMs(mergeMs)
                .build();
    }

    /** Features this projector cannot take: BAD_TENSOR or MODEL_MISMATCH. */
    private static final class BadFeaturesException extends RuntimeException {
        final DeadLetterReason reason;

        BadFeaturesException(DeadLetterReason reason, String message) {
            super(message);
            this.reason = reason;
        }
    }
}
