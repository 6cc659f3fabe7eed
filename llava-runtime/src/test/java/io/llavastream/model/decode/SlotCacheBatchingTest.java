package io.llavastream.model.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EncodedImages;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.TestModels;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The batcher's in-place cache ({@link KvSlots}) and step graph ({@code decoder_step.onnx}): a mixed batch decodes
 * like each request alone, the step graph agrees with the merged decoder, freed rows are reused, and the cache
 * grows in buckets without losing what it held. As in {@link ContinuousBatcherTest}, a token may differ only where
 * the single-sequence run's top two logits lie within 1e-4.
 */
class SlotCacheBatchingTest {
    static LlavaModel model;
    static LlamaDecoder merged;
    static final List<float[]> prompts = new ArrayList<>();
    static final List<Integer> lengths = new ArrayList<>();

    @BeforeAll
    static void load() {
        model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu());
        merged = new LlamaDecoder(model.directory(), EngineOptions.cpu(), false);
        int d = model.decoder().config().hiddenSize();
        int n = 0;
        for (Scene s : new SceneGenerator(91).scenes(0, 18)) {
            EncodedImages enc = model.encode(model.pixelValues(SceneRenderer.png(s)), 1);
            for (String p : List.of(PromptTemplate.captionPrompt(),
                    PromptTemplate.userTurn(s.questions().get(s.index() % 6).question()))) {
                long[] ids = model.merge().expand(model.tokenizer().encode(p), 1);
                float[] e = model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage());
                int len = ids.length - (n++ % 4);  // cut 0-3 tokens off the end: more distinct lengths
                prompts.add(Arrays.copyOf(e, len * d));
                lengths.add(len);
            }
        }
    }

    @AfterAll
    static void close() {
        merged.close();
        model.close();
    }

    @Test
    void thirtySixMixedRequestsJoiningAtDifferentStepsDecodeLikeEachAlone() {
        assertThat(model.decoder().hasStepGraph()).isTrue();
        assertThat(lengths.stream().distinct().count()).isGreaterThanOrEqualTo(4);
        Map<Object, Generation> batched = new HashMap<>();
        int maxLive = 0;
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 32)) {
            int submitted = 0;
            int step = 0;
            while (submitted < prompts.size() || batcher.inFlight() > 0) {
                // 24 at once, then 0 to 3 per step: they join a running batch at different steps
                for (int k = 0; k < (step == 0 ? 24 : step % 4) && submitted < prompts.size(); k++, submitted++) {
                    batcher.submit(new ContinuousBatcher.Request(submitted, prompts.get(submitted),
                            lengths.get(submitted), SamplingParams.greedy(32)));
                }
                step++;
                for (ContinuousBatcher.Finished f : batcher.step()) {
                    batched.put(f.tag(), f.generation());
                }
                maxLive = Math.max(maxLive, batcher.liveRows());
            }
        }
        assertThat(batched).hasSize(prompts.size());
        assertThat(maxLive).as("the batch filled up").isGreaterThanOrEqualTo(16).isLessThanOrEqualTo(32);
        List<String> ties = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            ties.addAll(compareWithAlone(i, batched.get(i), 32));
        }
        System.out.println("slot cache batching: " + (prompts.size() - ties.size()) + " of " + prompts.size()
                + " identical; near ties: " + ties);
    }

    @Test
    void stepGraphLogitsAndNewKeysMatchTheMergedDecoderAndTheSingleSequencePath() {
        int[] rows = {0, 5, 10};  // three different prompt lengths
        int d = model.decoder().config().hiddenSize();
        int t = Arrays.stream(rows).map(lengths::get).max().orElseThrow();
        int kvh = model.decoder().config().numKeyValueHeads();
        int hd = model.decoder().config().headDim();
        int layers2 = 2 * model.decoder().config().numLayers();
        float[] embeds = new float[rows.length * t * d];
        long[] mask = new long[rows.length * t];
        long[] pos = new long[rows.length * t];
        int[] lens = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            lens[i] = lengths.get(rows[i]);
            System.arraycopy(prompts.get(rows[i]), 0, embeds, i * t * d, lens[i] * d);
            for (int k = 0; k < t; k++) {
                mask[i * t + k] = k < lens[i] ? 1 : 0;
                pos[i * t + k] = k;
            }
        }
        int context = model.decoder().config().maxPositionEmbeddings();
        try (KvSlots a = new KvSlots(layers2, 4, kvh, hd, context);
             KvSlots b = new KvSlots(layers2, 4, kvh, hd, context);
             SlotStep onStep = new SlotStep(model.decoder(), 4);
             SlotStep onMerged = new SlotStep(merged, 4);
             OrtSession.Result pre = model.decoder().prefillBatch(embeds, rows.length, t, mask, pos)) {
            for (KvSlots c : List.of(a, b)) {
                c.ensure(t + 1, 0);
                for (int k = 0; k < layers2; k++) {
                    FloatBuffer present = ((OnnxTensor) pre.get(LlamaDecoder.presentName(k)).orElseThrow())
                            .getFloatBuffer();
                    for (int i = 0; i < rows.length; i++) {
                        c.copyIn(k, present, i, t, 0, i, 0, lens[i]);
                    }
                }
            }
            long[] next = {7, 12, 20};
            float[] tokens = model.embedder().embed(next);
            float[] viaStep = onStep.run(a, tokens, lens, rows.length);
            float[] viaMerged = onMerged.run(b, tokens, lens, rows.length);
            assertThat(maxDiff(viaStep, viaMerged)).isLessThan(1e-4f);
            for (int k = 0; k < layers2; k++) {
                for (int i = 0; i < rows.length; i++) {
                    for (int h = 0; h < kvh; h++) {
                        for (int x = 0; x < hd; x++) {
                            assertThat(a.at(k, i, h, lens[i], x)).isCloseTo(b.at(k, i, h, lens[i], x),
                                    org.assertj.core.data.Offset.offset(1e-4f));
                        }
                    }
                }
            }
            int vocab = viaStep.length / rows.length;
            for (int i = 0; i < rows.length; i++) {
                try (KvCache alone = model.decoder().newCache()) {
                    model.decoder().forward(prompts.get(rows[i]), lens[i], alone);
                    float[] single = model.decoder().forward(model.embedder().embed(new long[] {next[i]}), 1, alone);
                    assertThat(maxDiff(single, Arrays.copyOfRange(viaStep, i * vocab, (i + 1) * vocab)))
                            .as("row %d against the single-sequence path", i).isLessThan(1e-4f);
                }
            }
        }
    }

    @Test
    void aCancelledRowIsFilledByTheLastRowAndItsSlotReusedByTheNextRequest() {
        Map<Object, Generation> done = new HashMap<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 3)) {
            for (int i = 0; i < 3; i++) {  // caption prompts: about a dozen tokens each
                batcher.submit(new ContinuousBatcher.Request(4 * i, prompts.get(4 * i), lengths.get(4 * i),
                        SamplingParams.greedy(32)));
            }
            batcher.step();
            batcher.step();
            assertThat(batcher.liveRows()).isEqualTo(3);
            assertThat(batcher.cancel(0)).isTrue();  // row 0 leaves; row 2 moves into it
            assertThat(batcher.liveRows()).isEqualTo(2);
            assertThat(batcher.cancel(0)).isFalse();
            batcher.submit(new ContinuousBatcher.Request(12, prompts.get(12), lengths.get(12),
                    SamplingParams.greedy(32)));
            batcher.submit(new ContinuousBatcher.Request(13, prompts.get(13), lengths.get(13),
                    SamplingParams.greedy(32)));
            while (batcher.inFlight() > 0) {
                for (ContinuousBatcher.Finished f : batcher.step()) {
                    done.put(f.tag(), f.generation());
                }
                assertThat(batcher.liveRows()).isLessThanOrEqualTo(3);
            }
        }
        assertThat(done).containsOnlyKeys(4, 8, 12, 13);
        for (int i : new int[] {4, 8, 12, 13}) {
            compareWithAlone(i, done.get(i), 32);
        }
    }

    @Test
    void theCacheGrowsInBucketsAndKeepsWhatItHeld() {
        try (KvSlots c = new KvSlots(2, 2, 1, 2, 100)) {
            assertThat(c.ensure(10, 0)).isTrue();
            assertThat(c.capacity()).isEqualTo(KvSlots.BUCKET);
            FloatBuffer src = FloatBuffer.wrap(new float[] {1, 2, 3, 4, 5, 6, 7, 8});  // [2 rows, 1, 2, 2]
            c.copyIn(1, src, 1, 2, 0, 1, 30, 2);  // row 1's two positions into row 1, positions 30-31
            assertThat(c.ensure(32, 2)).isFalse();
            assertThat(c.ensure(33, 2)).isTrue();
            assertThat(c.capacity()).isEqualTo(64);
            assertThat(new float[] {c.at(1, 1, 0, 30, 0), c.at(1, 1, 0, 30, 1), c.at(1, 1, 0, 31, 1)})
                    .containsExactly(5, 6, 8);
            assertThat(c.ensure(97, 2)).isTrue();
            assertThat(c.capacity()).as("capped at the context").isEqualTo(100);
            assertThat(c.at(1, 1, 0, 31, 0)).isEqualTo(7);
            assertThatThrownBy(() -> c.ensure(101, 2)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("101").hasMessageContaining("context is 100");
        }
    }

    @Test
    void aBatchRunningAcrossABucketBoundaryGrowsTheCacheAndDecodesLikeEachAlone() {
        int d = model.decoder().config().hiddenSize();
        // 95 tokens: the join fills the cache to 96 positions, the second step needs the next bucket
        float[] longPrompt = new float[95 * d];
        System.arraycopy(prompts.get(0), 0, longPrompt, 0, lengths.get(0) * d);
        System.arraycopy(prompts.get(1), 0, longPrompt, lengths.get(0) * d, (95 - lengths.get(0)) * d);
        List<Integer> capacities = new ArrayList<>();
        Map<Object, Generation> done = new HashMap<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 4)) {
            batcher.submit(new ContinuousBatcher.Request("long", longPrompt, 95, SamplingParams.greedy(40)));
            batcher.submit(new ContinuousBatcher.Request("short", prompts.get(2), lengths.get(2),
                    SamplingParams.greedy(40)));
            while (batcher.inFlight() > 0) {
                for (ContinuousBatcher.Finished f : batcher.step()) {
                    done.put(f.tag(), f.generation());
                }
                capacities.add(batcher.cacheCapacity());
            }
        }
        assertThat(capacities.get(0)).isEqualTo(96);
        assertThat(done.get("long").tokenIds().length).as("decoded past position 96").isGreaterThan(2);
        assertThat(capacities).contains(128);
        compareWithAlone("long", longPrompt, 95, done.get("long"), 40);
        compareWithAlone(2, done.get("short"), 40);
    }

    @Test
    void stepComparisonTimesBothDecodersAndRefusesARowCountOfZero() {
        StepComparison.Result r = StepComparison.run(model.decoder(), merged, 4, 80, 2, 8);
        assertThat(r.rows()).isEqualTo(4);
        assertThat(r.firstP50Ms()).isPositive().isGreaterThanOrEqualTo(r.firstP25Ms());
        assertThat(r.secondP50Ms()).isPositive().isGreaterThanOrEqualTo(r.secondP25Ms());
        assertThatThrownBy(() -> StepComparison.run(model.decoder(), merged, 0, 80, 2, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("rows 0");
    }

    /** Asserts that {@code batched} equals request i decoded alone, up to a near tie; returns the ties. */
    private static List<String> compareWithAlone(int i, Generation batched, int maxNew) {
        return compareWithAlone("request " + i, prompts.get(i), lengths.get(i), batched, maxNew);
    }

    private static List<String> compareWithAlone(String what, float[] prompt, int length, Generation batched,
                                                 int maxNew) {
        Generation alone = model.generator().generate(prompt, length, SamplingParams.greedy(maxNew));
        long[] a = alone.tokenIds();
        long[] b = batched.tokenIds();
        int k = 0;
        while (k < Math.min(a.length, b.length) && a[k] == b[k]) {
            k++;
        }
        if (k == a.length && k == b.length) {
            assertThat(batched.finishReason()).isEqualTo(alone.finishReason());
            return List.of();
        }
        assertThat(alone.topTwoGaps()[k]).as("%s diverges at step %d", what, k).isLessThan(1e-4f);
        return List.of(what + " step " + k);
    }

    private static float maxDiff(float[] x, float[] y) {
        assertThat(x).hasSameSizeAs(y);
        float m = 0;
        for (int i = 0; i < x.length; i++) {
            m = Math.max(m, Math.abs(x[i] - y[i]));
        }
        return m;
    }
}
