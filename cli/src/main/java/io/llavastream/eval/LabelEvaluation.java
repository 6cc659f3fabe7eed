package io.llavastream.eval;

import io.llavastream.model.LlavaModel;
import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScore;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneObject;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.scenes.ShapeSize;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Zero-shot accuracy of a label set on generated scenes: each scene's image embedding (the vision tower, as the
 * vision worker computes it) is scored against the labels as the vision worker scores it ({@link LabelScorer}), and
 * the top label is compared with the shape of the scene's largest object. "Largest" is by size class, the
 * generator's and the captions' notion ("large", "small"): in a scene of two objects of one size class both are
 * the largest and either shape counts; the figures are also given per kind of scene, and by extent in pixels.
 */
public final class LabelEvaluation {
    private static final int BATCH = 32;

    private final LlavaModel model;
    private final LabelScorer scorer;

    public LabelEvaluation(LlavaModel model, List<LabelPrompts> labels) {
        this.model = model;
        this.scorer = LabelScorer.build(labels, model.textEncoder(), model.directory().config().clipText()
                .logitScale());
    }

    public LabelEvalResult run(long seed, int count, IntConsumer progress) {
        long t0 = System.nanoTime();
        List<Scene> scenes = new SceneGenerator(seed).scenes(0, count);
        Tally all = new Tally();
        Tally single = new Tally();
        Tally differentSizes = new Tally();
        Tally sameSize = new Tally();
        int byExtent = 0;
        int carriedAny = 0;
        int carriedRight = 0;
        int carriedTotal = 0;
        for (int from = 0; from < count; from += BATCH) {
            List<Scene> batch = scenes.subList(from, Math.min(count, from + BATCH));
            List<float[]> embeddings = embed(batch);
            for (int i = 0; i < batch.size(); i++) {
                Scene s = batch.get(i);
                float[] e = embeddings.get(i);
                String top = scorer.best(e).label();
                boolean ok = largest(s).contains(top);
                all.add(ok);
                (s.objects().size() == 1 ? single : s.objects().get(0).size() == s.objects().get(1).size()
                        ? sameSize : differentSizes).add(ok);
                byExtent += largestByExtent(s).contains(top) ? 1 : 0;
                List<LabelScore> carried = scorer.carried(e);
                carriedAny += carried.isEmpty() ? 0 : 1;
                carriedTotal += carried.size();
                carriedRight += (int) carried.stream().filter(c -> largest(s).contains(c.label())).count();
                progress.accept(from + i);
            }
        }
        return new LabelEvalResult(model.modelId(), seed, count, scorer.labels().stream().map(LabelPrompts::label)
                .toList(), all.rate(), single.rate(), single.n, differentSizes.rate(), differentSizes.n,
                sameSize.rate(), sameSize.n, byExtent / (double) count, carriedAny / (double) count,
                carriedTotal == 0 ? 0 : carriedRight / (double) carriedTotal, (System.nanoTime() - t0) / 1e9);
    }

    private List<float[]> embed(List<Scene> batch) {
        float[][] pixels = new float[batch.size()][];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = model.pixelValues(SceneRenderer.png(batch.get(i)));
        }
        int n = pixels[0].length;
        float[] all = new float[n * pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            System.arraycopy(pixels[i], 0, all, i * n, n);
        }
        var zv = model.vision().encode(all, pixels.length);
        List<float[]> out = new ArrayList<>(pixels.length);
        for (int i = 0; i < pixels.length; i++) {
            out.add(zv.normalizedEmbedding(i));
        }
        return out;
    }

    /** The shapes of the objects of the largest size class in the scene. */
    static Set<String> largest(Scene s) {
        ShapeSize top = s.objects().stream().map(SceneObject::size).max(Comparator.naturalOrder()).orElseThrow();
        Set<String> out = new HashSet<>();
        s.objects().stream().filter(o -> o.size() == top).forEach(o -> out.add(o.shape().word()));
        return out;
    }

    /** The shapes of the objects with the largest extent in pixels. */
    static Set<String> largestByExtent(Scene s) {
        int max = s.objects().stream().mapToInt(SceneObject::extent).max().orElseThrow();
        Set<String> out = new HashSet<>();
        s.objects().stream().filter(o -> o.extent() == max).forEach(o -> out.add(o.shape().word()));
        return out;
    }

    private static final class Tally {
        int n;
        int ok;

        void add(boolean right) {
            n++;
            ok += right ? 1 : 0;
        }

        double rate() {
            return n == 0 ? 0 : ok / (double) n;
        }
    }
}
