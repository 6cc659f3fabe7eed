package io.llavastream.labels;

import io.llavastream.model.labels.LabelScore;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.schemas.ImageLabel;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.stage.Finished;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageMachine;
import io.llavastream.stage.StageResult;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * The vision machine with zero-shot labels: after each step, every successful image's CLIP embedding (on its merge
 * request, fresh or from the cache) is scored against the label set in force ({@link LabelBook#scorer()}, one
 * snapshot per step), and the labels at or above their threshold go on its merge request (whence the merge and
 * decode stages carry them to the answer) and on its image embedding (for search). Nothing else changes: with no
 * label set in force the outputs are those of the wrapped machine.
 *
 * <p>Reads and writes what the wrapped vision machine does ({@link Topics#VISION_REQUESTS} in;
 * {@link Topics#MERGE_REQUESTS}, {@link Topics#IMAGE_EMBEDDINGS}, ... out).
 */
public final class LabellingMachine implements StageMachine<ImageTask> {
    private final StageMachine<ImageTask> vision;
    private final Supplier<LabelScorer> scorers;

    public LabellingMachine(StageMachine<ImageTask> vision, Supplier<LabelScorer> scorers) {
        this.vision = vision;
        this.scorers = scorers;
    }

    @Override
    public List<Finished> step() {
        List<Finished> done = vision.step();
        LabelScorer scorer = scorers.get();
        if (scorer.isEmpty()) {
            return done;
        }
        List<Finished> out = new ArrayList<>(done.size());
        for (Finished f : done) {
            out.add(f.result().isFailure() ? f : new Finished(f.tag(), labelled(f.result(), scorer)));
        }
        return out;
    }

    private static StageResult labelled(StageResult r, LabelScorer scorer) {
        List<ImageLabel> labels = null;
        for (Output<?> o : r.outputs()) {
            if (o.value() instanceof MergeRequest m) {
                labels = labels(scorer, TensorCodec.floats(m.getFeatures().getImageEmbedding()));
            }
        }
        if (labels == null || labels.isEmpty()) {
            return r;
        }
        List<Output<?>> outputs = new ArrayList<>(r.outputs().size());
        for (Output<?> o : r.outputs()) {
            outputs.add(withLabels(o, labels));
        }
        return StageResult.ok(outputs);
    }

    /** The labels an L2-normalised image embedding carries, highest score first. */
    public static List<ImageLabel> labels(LabelScorer scorer, float[] embedding) {
        List<ImageLabel> out = new ArrayList<>();
        for (LabelScore s : scorer.carried(embedding)) {
            out.add(ImageLabel.newBuilder().setLabel(s.label()).setScore(s.score()).build());
        }
        return out;
    }

    /**
     * {@code m} with the labels its image embedding carries under {@code scorer}: for a merge request made without
     * the vision machine (an in-process cache hit), so that it is labelled as one from this machine would be.
     */
    public static MergeRequest labelled(MergeRequest m, LabelScorer scorer) {
        if (scorer.isEmpty()) {
            return m;
        }
        List<ImageLabel> labels = labels(scorer, TensorCodec.floats(m.getFeatures().getImageEmbedding()));
        return labels.isEmpty() ? m : MergeRequest.newBuilder(m).setLabels(labels).build();
    }

    private static Output<?> withLabels(Output<?> o, List<ImageLabel> labels) {
        if (o.value() instanceof MergeRequest m) {
            return new Output<>(Topics.MERGE_REQUESTS, o.key(), MergeRequest.newBuilder(m).setLabels(labels).build());
        }
        if (o.value() instanceof ImageEmbedding e) {
            return new Output<>(Topics.IMAGE_EMBEDDINGS, o.key(),
                    ImageEmbedding.newBuilder(e).setLabels(labels).build());
        }
        return o;
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
        return vision.continuous();
    }

    @Override
    public int capacity() {
        return vision.capacity();
    }

    @Override
    public int inFlight() {
        return vision.inFlight();
    }

    @Override
    public void submit(Object tag, ImageTask input) {
        vision.submit(tag, input);
    }

    @Override
    public StageResult failed(ImageTask input, DeadLetterReason reason, String message) {
        return vision.failed(input, reason, message);
    }

    @Override
    public void committed(Collection<?> tags) {
        vision.committed(tags);
    }

    @Override
    public List<Output<?>> drainPreviews() {
        return vision.drainPreviews();
    }

    @Override
    public void cancel(Collection<?> tags) {
        vision.cancel(tags);
    }

    @Override
    public void reset() {
        vision.reset();
    }

    @Override
    public void close() {
        vision.close();
    }
}
