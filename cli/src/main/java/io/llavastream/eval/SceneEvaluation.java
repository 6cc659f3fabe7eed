package io.llavastream.eval;

import io.llavastream.model.Answer;
import io.llavastream.model.EncodedImages;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Question;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a model in-process on freshly generated scenes, starting from PNG bytes as a user's images would arrive:
 * greedy captions and answers to every question, and CLIP retrieval within pools of {@value #POOL} scenes.
 */
public final class SceneEvaluation {
    /** Scenes per retrieval pool. */
    public static final int POOL = 100;
    private static final int MAX_NEW_TOKENS = 32;

    private final LlavaModel model;

    public SceneEvaluation(LlavaModel model) {
        this.model = model;
    }

    public EvalResult run(long seed, int count, Consumer<SceneOutcome> onScene) {
        long t0 = System.nanoTime();
        SceneGenerator gen = new SceneGenerator(seed);
        SamplingParams greedy = SamplingParams.greedy(MAX_NEW_TOKENS);
        int captionsOk = 0;
        Map<String, int[]> byType = new LinkedHashMap<>();  // type -> {correct, total}
        List<float[]> images = new ArrayList<>();
        List<float[]> queries = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        int[] hits = {0, 0};
        int pooled = 0;
        for (int i = 0; i < count; i++) {
            Scene s = gen.scene(i);
            EncodedImages enc = model.encode(model.pixelValues(SceneRenderer.png(s)), 1);
            SceneOutcome out = evaluate(s, enc, greedy);
            captionsOk += out.captionCorrect() ? 1 : 0;
            for (SceneOutcome.QuestionOutcome q : out.questions()) {
                int[] c = byType.computeIfAbsent(q.type(), k -> new int[2]);
                c[0] += q.correct() ? 1 : 0;
                c[1]++;
            }
            images.add(enc.zv().normalizedEmbedding(0));
            queries.add(model.textEncoder().embed(s.caption()));
            captions.add(s.caption());
            if (images.size() == POOL || (i == count - 1 && pooled == 0)) {
                int[] h = Retrieval.hitsAt1(images, queries, captions);
                hits[0] += h[0];
                hits[1] += h[1];
                pooled += images.size();
                images.clear();
                queries.clear();
                captions.clear();
            }
            onScene.accept(out);
        }
        return result(seed, count, captionsOk, byType, hits, pooled, (System.nanoTime() - t0) / 1e9);
    }

    private SceneOutcome evaluate(Scene s, EncodedImages enc, SamplingParams greedy) {
        Answer caption = model.answer(enc, PromptTemplate.captionPrompt(), greedy);
        List<SceneOutcome.QuestionOutcome> qs = new ArrayList<>();
        for (Question q : s.questions()) {
            Answer a = model.answer(enc, PromptTemplate.userTurn(q.question()), greedy);
            qs.add(new SceneOutcome.QuestionOutcome(q.type().id(), q.question(), q.answer(), a.text()));
        }
        return new SceneOutcome(s.id(), s.caption(), caption.text(), qs);
    }

    private EvalResult result(long seed, int count, int captionsOk, Map<String, int[]> byType, int[] hits,
                              int pooled, double seconds) {
        Map<String, Double> vqa = new LinkedHashMap<>();
        int ok = 0;
        int total = 0;
        for (Map.Entry<String, int[]> e : byType.entrySet()) {
            vqa.put(e.getKey(), e.getValue()[0] / (double) e.getValue()[1]);
            ok += e.getValue()[0];
            total += e.getValue()[1];
        }
        return new EvalResult(model.modelId(), seed, count, captionsOk / (double) Math.max(1, count),
                ok / (double) Math.max(1, total), vqa, hits[0] / (double) Math.max(1, pooled),
                hits[1] / (double) Math.max(1, pooled), Math.min(POOL, count), seconds);
    }
}
