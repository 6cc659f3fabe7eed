package io.llavastream.eval;

import io.llavastream.model.LlavaModel;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.schemas.Post;
import io.llavastream.scenes.Question;
import io.llavastream.scenes.CaptionStyle;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.stage.InProcessDriver;
import io.llavastream.stage.Output;
import io.llavastream.stage.VisionCache;
import io.llavastream.schemas.DType;
import io.llavastream.tensor.WireDtype;
import io.llavastream.tensor.TensorCodec;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a model in-process on freshly generated scenes, starting from PNG bytes as a user's images would arrive and
 * through the pipeline's own {@link InProcessDriver}: greedy captions and answers to every question (each a post
 * of the same image with that question), and CLIP retrieval within pools of {@value #POOL} scenes.
 */
public final class SceneEvaluation {
    /** Scenes per retrieval pool. */
    public static final int POOL = 100;
    private static final int MAX_NEW_TOKENS = 32;
    /** Scenes answered per in-process run, and the driver's batch size. */
    private static final int CHUNK = 25;
    private static final int BATCH = 16;
    /** The source of the posts the evaluation makes (its adapter, if any, is this source's). */
    private static final String SOURCE = "eval";

    private final LlavaModel model;
    private final DType wire;
    /** The LoRA adapter every answer decodes with ("" = the base model). */
    private final String adapter;
    /** The caption style the adapter was trained for (its adapter_config's llava_stream.style); null: the base's. */
    private final CaptionStyle style;

    /** An evaluation with Zv and Hv in the default {@link WireDtype}, as the pipeline runs. */
    public SceneEvaluation(LlavaModel model) {
        this(model, WireDtype.defaultDtype());
    }

    /** An evaluation with Zv and Hv as {@code wire} between the stages. */
    public SceneEvaluation(LlavaModel model, DType wire) {
        this(model, wire, "");
    }

    /**
     * An evaluation decoding with the model's loaded LoRA adapter {@code adapter} ("" = the base model): captions
     * are compared with the adapter's own style ({@link CaptionStyle}, from its config) when it declares one.
     */
    public SceneEvaluation(LlavaModel model, DType wire, String adapter) {
        this.model = model;
        this.wire = wire;
        this.adapter = adapter == null ? "" : adapter;
        int index = model.decoder().adapters().index(this.adapter);
        String declared = index == 0 ? "" : model.decoder().adapters().adapter(index).style();
        this.style = declared.isEmpty() ? null : CaptionStyle.of(declared);
    }

    public EvalResult run(long seed, int count, Consumer<SceneOutcome> onScene) {
        long t0 = System.nanoTime();
        SceneGenerator gen = new SceneGenerator(seed);
        int captionsOk = 0;
        Map<String, int[]> byType = new LinkedHashMap<>();  // type -> {correct, total}
        List<float[]> images = new ArrayList<>();
        List<float[]> queries = new ArrayList<>();
        List<String> captions = new ArrayList<>();
        int[] hits = {0, 0};
        int pooled = 0;
        for (int from = 0; from < count; from += CHUNK) {
            List<Scene> scenes = gen.scenes(from, Math.min(CHUNK, count - from));
            Results r = answer(scenes);
            for (Scene s : scenes) {
                SceneOutcome out = outcome(s, r);
                captionsOk += out.captionCorrect() ? 1 : 0;
                for (SceneOutcome.QuestionOutcome q : out.questions()) {
                    int[] c = byType.computeIfAbsent(q.type(), k -> new int[2]);
                    c[0] += q.correct() ? 1 : 0;
                    c[1]++;
                }
                images.add(r.embeddings().get(postId(s, -1)));
                queries.add(model.textEncoder().embed(s.caption()));
                captions.add(s.caption());
                if (images.size() == POOL || (images.size() + pooled == count && pooled == 0)) {
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
        }
        return result(seed, count, captionsOk, byType, hits, pooled, (System.nanoTime() - t0) / 1e9);
    }

    /** Answers and image embeddings by post id, from one in-process run over a chunk of scenes. */
    private record Results(Map<String, String> texts, Map<String, float[]> embeddings) {
    }

    /**
     * Every scene as posts, as a user would send them: one without a question (its caption) and one per question,
     * all of the same PNG, through the pipeline's in-process driver (the image is encoded once, then cached).
     */
    private Results answer(List<Scene> scenes) {
        Results r = new Results(new HashMap<>(), new HashMap<>());
        try (InProcessDriver driver = new InProcessDriver(model, PostChecks.defaults(), BATCH,
                SamplingParams.greedy(MAX_NEW_TOKENS), wire, new VisionCache(), Clock.systemUTC(),
                o -> collect(o, r))) {
            if (!adapter.isEmpty()) {
                driver.sourceAdapters(Map.of(SOURCE, adapter));
            }
            for (Scene s : scenes) {
                byte[] png = SceneRenderer.png(s);
                driver.submit(PngPosts.of(postId(s, -1), SOURCE, png));
                for (int q = 0; q < s.questions().size(); q++) {
                    Post post = PngPosts.of(postId(s, q), SOURCE, png);
                    post.setQuestion(s.questions().get(q).question());
                    driver.submit(post);
                }
            }
            driver.drain();
        }
        return r;
    }

    private static void collect(Output<?> o, Results r) {
        if (o.value() instanceof Answer a) {
            r.texts().put(a.getTask().getPostId(), a.getText());
        } else if (o.value() instanceof ImageEmbedding e) {
            r.embeddings().put(e.getPostId(), TensorCodec.floats(e.getEmbedding()));
        }
    }

    private static String postId(Scene s, int question) {
        return s.id() + (question < 0 ? "/caption" : "/q" + question);
    }

    /** {@code text} as the tokenizer's decoder writes it ("circle ." becomes "circle."): what an answer reads. */
    private String asDecoded(String text) {
        return model.tokenizer().decode(model.tokenizer().encode(text));
    }

    private SceneOutcome outcome(Scene s, Results r) {
        List<SceneOutcome.QuestionOutcome> qs = new ArrayList<>();
        for (int i = 0; i < s.questions().size(); i++) {
            Question q = s.questions().get(i);
            qs.add(new SceneOutcome.QuestionOutcome(q.type().id(), q.question(), q.answer(),
                    r.texts().getOrDefault(postId(s, i), "")));
        }
        String expected = style == null ? s.caption() : asDecoded(style.render(s.objects()));
        return new SceneOutcome(s.id(), expected, r.texts().getOrDefault(postId(s, -1), ""), qs);
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
