package io.llavastream.model.labels;

import io.llavastream.model.text.ClipTextEncoder;
import io.llavastream.model.vision.L2;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores CLIP image embeddings against one label set. Built once per label-set version: each label's prompts go
 * through the text tower once, each embedding is L2-normalised, and their mean, normalised again, is the label's
 * embedding (CLIP's prompt ensembling). Scoring an image is then a dot product per label and a softmax of the
 * cosines times the logit scale, as in CLIP's zero-shot classifier. Immutable and thread-safe.
 */
public final class LabelScorer {
    private final List<LabelPrompts> labels;
    private final float[][] embeddings;
    private final double logitScale;

    private LabelScorer(List<LabelPrompts> labels, float[][] embeddings, double logitScale) {
        this.labels = List.copyOf(labels);
        this.embeddings = embeddings;
        this.logitScale = logitScale;
    }

    /**
     * @param logitScale the multiplier of the cosines, exp of CLIP's learned log scale ({@code
     *                   LlavaConfig.clipLogitScale()})
     */
    public static LabelScorer build(List<LabelPrompts> labels, ClipTextEncoder text, double logitScale) {
        if (!(logitScale > 0) || Double.isInfinite(logitScale)) {
            throw new IllegalArgumentException("logit scale must be a positive finite number, got " + logitScale);
        }
        float[][] e = new float[labels.size()][];
        for (int i = 0; i < e.length; i++) {
            e[i] = ensemble(labels.get(i).prompts(), text);
        }
        return new LabelScorer(labels, e, logitScale);
    }

    /** A scorer for no labels: every image scores nothing. */
    public static LabelScorer empty() {
        return new LabelScorer(List.of(), new float[0][], 1);
    }

    /** The mean of the prompts' normalised embeddings, normalised. */
    static float[] ensemble(List<String> prompts, ClipTextEncoder text) {
        float[] sum = null;
        for (String p : prompts) {
            float[] v = text.embed(p);
            if (sum == null) {
                sum = new float[v.length];
            }
            for (int i = 0; i < v.length; i++) {
                sum[i] += v[i];
            }
        }
        return L2.normalize(sum);
    }

    public boolean isEmpty() {
        return labels.isEmpty();
    }

    public List<LabelPrompts> labels() {
        return labels;
    }

    /** Every label's softmax score for an L2-normalised image embedding, in label-set order. */
    public List<LabelScore> scores(float[] imageEmbedding) {
        List<LabelScore> out = new ArrayList<>(labels.size());
        if (labels.isEmpty()) {
            return out;
        }
        double[] logits = new double[labels.size()];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = logitScale * L2.dot(embeddings[i], imageEmbedding);
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < logits.length; i++) {
            logits[i] = Math.exp(logits[i] - max);
            sum += logits[i];
        }
        for (int i = 0; i < logits.length; i++) {
            out.add(new LabelScore(labels.get(i).label(), (float) (logits[i] / sum)));
        }
        return out;
    }

    /** The labels whose score reaches their threshold, highest score first. */
    public List<LabelScore> carried(float[] imageEmbedding) {
        List<LabelScore> all = scores(imageEmbedding);
        List<LabelScore> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).score() >= labels.get(i).threshold()) {
                out.add(all.get(i));
            }
        }
        out.sort((a, b) -> Float.compare(b.score(), a.score()));
        return out;
    }

    /** The label with the highest score, or null for an empty set. */
    public LabelScore best(float[] imageEmbedding) {
        return scores(imageEmbedding).stream().max((a, b) -> Float.compare(a.score(), b.score())).orElse(null);
    }
}
