package io.llavastream.stage;

import io.llavastream.model.LlavaConfig;
import io.llavastream.model.MergeParts;
import io.llavastream.model.text.PromptException;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.Tensor;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.tensor.WireDtype;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The merge stage (LLaVA's projection and token merge): the projector maps each image's Zv [P,Dv] to Hv [P,D] in
 * one run over the batch, and the prompt is tokenized with its {@code <image>} expanded to P placeholders.
 * Publishes the decode request, keyed by task id: input_ids [T], Hv as image_features [P,D] in the {@link
 * WireDtype} (FP16 by default) and image_positions [P], the placeholders' indices; the decode stage embeds the ids
 * and scatters Hv in, so the [T,D] prompt never crosses Kafka. A bad prompt (BAD_PROMPT), features of the wrong
 * shape or bytes (BAD_TENSOR) or of another vision tower (MODEL_MISMATCH) fail alone, with an ERROR answer.
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
    private final DType wire;

    /** One request ready for the projector: its Zv [P,Dv] (checked), its expanded ids [T], the time spent so far. */
    private record Prepared(int index, Tensor zv, long[] ids, long nanos) {
    }

    /** A machine writing Hv in the default {@link WireDtype}. */
    public MergeMachine(MergeParts parts, int maxBatch, Clock clock) {
        this(parts, maxBatch, WireDtype.defaultDtype(), clock);
    }

    /**
     * A machine over {@code parts} (which the caller keeps and closes) taking batches of up to {@code maxBatch} and
     * writing Hv as {@code wire} (the {@link WireDtype} setting).
     */
    public MergeMachine(MergeParts parts, int maxBatch, DType wire, Clock clock) {
        super(maxBatch);
        this.wire = wire;
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
        Tensor zv = zv(r);
        long[] ids = parts.merge().expand(parts.tokenizer().encode(r.getTask().getPrompt()), 1);
        return new Prepared(index, zv, ids, System.nanoTime() - t0);
    }

    /** The request's Zv, after checking it is [P, Dv] for this model and that its bytes fill that shape. */
    private Tensor zv(MergeRequest r) {
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
            TensorCodec.elements(r.getFeatures().getPatchFeatures());
            return r.getFeatures().getPatchFeatures();
        } catch (RuntimeException e) {  // whatever TensorCodec refuses is a bad tensor, not a model failure
            throw new BadFeaturesException(DeadLetterReason.BAD_TENSOR, "patch_features: " + e.getMessage());
        }
    }

    /** One projector run over the batch ([N,P,Dv] to [N,P,D]), then each request's ids, Hv and positions. */
    private void merge(List<MergeRequest> batch, List<Prepared> ready, StageResult[] results) {
        long t0 = System.nanoTime();
        int each = patches * featureDim;
        float[] zv = new float[ready.size() * each];
        for (int j = 0; j < ready.size(); j++) {  // straight from each record's bytes into the batch
            TensorCodec.read(ready.get(j).zv(), 0, each, zv, j * each);
        }
        float[] hv = parts.projector().project(zv, ready.size(), patches);
        long projectorEach = (System.nanoTime() - t0) / ready.size();
        for (int j = 0; j < ready.size(); j++) {
            Prepared p = ready.get(j);
            long t1 = System.nanoTime();
            Tensor features = TensorCodec.encodeRange(wire, hv, j * patches * hiddenSize, patches, hiddenSize);
            int[] positions = parts.merge().imagePositions(p.ids());
            long nanos = p.nanos() + projectorEach + System.nanoTime() - t1;
            results[p.index()] = StageResult.ok(List.of(request(batch.get(p.index()), p.ids(), features,
                    positions, nanos / 1e6)));
        }
    }

    private Output<DecodeRequest> request(MergeRequest r, long[] ids, Tensor features, int[] positions,
                                          double mergeMs) {
        TaskRef task = r.getTask();
        DecodeRequest d = DecodeRequest.newBuilder()
                .setTask(task)
                .setInputIds(Arrays.stream(ids).boxed().toList())
                .setInputsEmbeds(null)
                .setImageFeatures(features)
                .setImagePositions(Arrays.stream(positions).boxed().toList())
                .setModelId(parts.modelId())
                .setTimings(timings(r, mergeMs))
                .setLabels(r.getLabels())  // the vision stage's zero-shot labels, on their way to the answer
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
