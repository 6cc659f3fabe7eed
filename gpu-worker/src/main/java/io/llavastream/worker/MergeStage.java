package io.llavastream.worker;

import io.llavastream.tensor.TensorCodec;
import io.llavastream.model.LlavaConfig;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.text.PromptException;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
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
 * (FP32), keyed by task id. A bad prompt or features of the wrong shape or model fail alone, with an ERROR answer.
 */
public final class MergeStage implements Stage<MergeRequest> {
    private final LlavaModel model;
    private final String modelId;
    private final String visionModelId;
    private final int patches;
    private final int featureDim;
    private final int hiddenSize;
    private final ErrorAnswers errors;

    /** One request ready for the projector: its Zv [P,Dv], its expanded ids [T], and the time spent so far. */
    private record Prepared(int index, float[] zv, long[] ids, long nanos) {
    }

    public MergeStage(LlavaModel model, Clock clock) {
        LlavaConfig c = model.directory().config();
        this.model = model;
        this.modelId = model.modelId();
        this.visionModelId = model.visionModelId();
        this.patches = model.merge().tokensPerImage();
        this.featureDim = c.vision().hiddenSize();
        this.hiddenSize = c.text().hiddenSize();
        this.errors = new ErrorAnswers(modelId, clock);
    }

    @Override
    public String name() {
        return "merge";
    }

    @Override
    public Topic<MergeRequest> input() {
        return Topics.MERGE_REQUESTS;
    }

    @Override
    public List<StageResult> process(List<Input<MergeRequest>> batch) {
        StageResult[] results = new StageResult[batch.size()];
        List<Prepared> ready = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            try {
                ready.add(prepare(i, batch.get(i).value()));
            } catch (PromptException e) {
                results[i] = failed(batch.get(i), e.reason().name(), e.getMessage());
            } catch (BadFeaturesException e) {
                results[i] = failed(batch.get(i), e.errorType, e.getMessage());
            }
        }
        if (!ready.isEmpty()) {
            merge(batch, ready, results);
        }
        return List.of(results);
    }

    @Override
    public StageResult failed(Input<MergeRequest> input, String errorType, String message) {
        MergeRequest r = input.value();
        return StageResult.failed(errorType, message,
                List.of(errors.of(r.getTask(), errorType, message, timings(r, 0))));
    }

    private Prepared prepare(int index, MergeRequest r) {
        long t0 = System.nanoTime();
        String visionModel = r.getFeatures().getVisionModelId();
        if (!visionModel.equals(visionModelId)) {
            throw new BadFeaturesException("MODEL_MISMATCH", "features come from vision model " + visionModel
                    + ", this projector belongs to the vision tower " + visionModelId);
        }
        float[] zv = zv(r);
        long[] ids = model.merge().expand(model.tokenizer().encode(r.getTask().getPrompt()), 1);
        return new Prepared(index, zv, ids, System.nanoTime() - t0);
    }

    /** The request's Zv, after checking it is [P, Dv] for this model. */
    private float[] zv(MergeRequest r) {
        int[] shape = TensorCodec.shape(r.getFeatures().getPatchFeatures());
        if (shape.length != 2 || shape[0] != patches || shape[1] != featureDim) {
            throw new BadFeaturesException("BAD_FEATURES", "patch_features has shape " + Arrays.toString(shape)
                    + ", expected [" + patches + ", " + featureDim + "]");
        }
        try {
            return TensorCodec.floats(r.getFeatures().getPatchFeatures());
        } catch (IllegalArgumentException e) {
            throw new BadFeaturesException("BAD_FEATURES", e.getMessage());
        }
    }

    /** One projector run over the batch ([N,P,Dv] to [N,P,D]), then the per-prompt embed and scatter. */
    private void merge(List<Input<MergeRequest>> batch, List<Prepared> ready, StageResult[] results) {
        long t0 = System.nanoTime();
        float[] hv = model.projector().project(FloatArrays.concat(ready.stream().map(Prepared::zv).toList()),
                ready.size(), patches);
        long projectorEach = (System.nanoTime() - t0) / ready.size();
        for (int j = 0; j < ready.size(); j++) {
            Prepared p = ready.get(j);
            long t1 = System.nanoTime();
            float[] embeds = model.merge().scatter(p.ids(), model.embedder().embed(p.ids()),
                    List.of(FloatArrays.slice(hv, ready.size(), j)));
            long nanos = p.nanos() + projectorEach + System.nanoTime() - t1;
            results[p.index()] = StageResult.ok(List.of(request(batch.get(p.index()).value(), p.ids(), embeds,
                    nanos / 1e6)));
        }
    }

    private Output<DecodeRequest> request(MergeRequest r, long[] ids, float[] embeds, double mergeMs) {
        TaskRef task = r.getTask();
        DecodeRequest d = DecodeRequest.newBuilder()
                .setTask(task)
                .setInputIds(Arrays.stream(ids).boxed().toList())
                .setInputsEmbeds(TensorCodec.fp32(embeds, ids.length, hiddenSize))
                .setModelId(modelId)
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

    /** Features this projector cannot take; {@code errorType} is BAD_FEATURES or MODEL_MISMATCH. */
    private static final class BadFeaturesException extends RuntimeException {
        final String errorType;

        BadFeaturesException(String errorType, String message) {
            super(message);
            this.errorType = errorType;
        }
    }
}
