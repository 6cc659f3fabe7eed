package io.llavastream.model.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EncodedImages;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.TestModels;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Continuous batching gives the same tokens as decoding each request alone: requests join a running batch at
 * different steps, leave at different steps, and the shared cache must not leak between rows. A
 * difference is allowed only where the single-sequence run's top two logits lie within 1e-4 (batching changes the
 * order of summation); it is reported.
 */
class ContinuousBatcherTest {
    static LlavaModel model;
    static final List<float[]> prompts = new ArrayList<>();
    static final List<Integer> lengths = new ArrayList<>();

    @BeforeAll
    static void load() {
        model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu());
        for (Scene s : new SceneGenerator(77).scenes(0, 6)) {
            EncodedImages enc = model.encode(model.pixelValues(SceneRenderer.png(s)), 1);
            for (String p : List.of(PromptTemplate.captionPrompt(),
                    PromptTemplate.userTurn(s.questions().get(s.index() % 6).question()))) {
                long[] ids = model.merge().expand(model.tokenizer().encode(p), 1);
                prompts.add(model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage()));
                lengths.add(ids.length);
            }
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void staggeredRequestsInABatchOfFourDecodeLikeSingleSequences() {
        Map<Object, Generation> batched = new HashMap<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 4)) {
            int submitted = 0;
            while (submitted < prompts.size() || batcher.inFlight() > 0) {
                // join at uneven times: one or two new requests every other step
                if (submitted < prompts.size() && (submitted % 3 != 2 || batcher.inFlight() == 0)) {
                    batcher.submit(new ContinuousBatcher.Request(submitted, prompts.get(submitted),
                            lengths.get(submitted), SamplingParams.greedy(32)));
                    submitted++;
                }
                for (ContinuousBatcher.Finished f : batcher.step()) {
                    batched.put(f.tag(), f.generation());
                }
            }
        }
        assertThat(batched).hasSize(prompts.size());
        List<String> nearTies = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Generation alone = model.generator().generate(prompts.get(i), lengths.get(i), SamplingParams.greedy(32));
            long[] a = alone.tokenIds();
            long[] b = batched.get(i).tokenIds();
            int k = 0;
            while (k < Math.min(a.length, b.length) && a[k] == b[k]) {
                k++;
            }
            if (k == a.length && k == b.length) {
                assertThat(batched.get(i).finishReason()).isEqualTo(alone.finishReason());
                continue;
            }
            assertThat(alone.topTwoGaps()[k]).as("request %d diverges at step %d", i, k).isLessThan(1e-4f);
            nearTies.add("request " + i + " step " + k);
        }
        System.out.println("continuous batching vs single: " + (prompts.size() - nearTies.size()) + " of "
                + prompts.size() + " identical; near ties: " + nearTies);
    }

    @Test
    void batchOfOneEqualsTheGenerator() {
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 1)) {
            batcher.submit(new ContinuousBatcher.Request("x", prompts.get(0), lengths.get(0), SamplingParams.greedy(5)));
            List<ContinuousBatcher.Finished> done = new ArrayList<>();
            while (batcher.inFlight() > 0) {
                done.addAll(batcher.step());
            }
            Generation alone = model.generator().generate(prompts.get(0), lengths.get(0), SamplingParams.greedy(5));
            assertThat(done).singleElement().satisfies(f -> {
                assertThat(f.generation().tokenIds()).containsExactly(alone.tokenIds());
                assertThat(f.generation().finishReason()).isEqualTo(alone.finishReason());
            });
        }
    }

    @Test
    void drainsCompletelyAndAcceptsNewWorkAfterwards() {
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 4)) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 3; i++) {
                    batcher.submit(new ContinuousBatcher.Request(i, prompts.get(i), lengths.get(i),
                            SamplingParams.greedy(32)));
                }
                int done = 0;
                while (batcher.inFlight() > 0) {
                    done += batcher.step().size();
                }
                assertThat(done).isEqualTo(3);
                assertThat(batcher.step()).isEmpty();  // idle steps after a full drain are harmless
            }
        }
    }

    @Test
    void theListenerHearsEveryTokenOfEveryRequestAsItIsSampledAndTheLastOneAsLast() {
        Map<Object, List<Long>> heard = new HashMap<>();
        Map<Object, Integer> lastAt = new HashMap<>();
        Map<Object, Generation> done = new HashMap<>();
        try (ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 2)) {
            batcher.listener((tag, id, last) -> {
                assertThat(done).as("told before its step returns").doesNotContainKey(tag);
                heard.computeIfAbsent(tag, k -> new ArrayList<>()).add(id);
                if (last) {
                    assertThat(lastAt.put(tag, heard.get(tag).size())).as("one last token").isNull();
                }
            });
            for (int i = 0; i < 3; i++) {  // three requests, two rows: the third joins as one leaves
                batcher.submit(new ContinuousBatcher.Request(i, prompts.get(i), lengths.get(i),
                        SamplingParams.greedy(12)));
            }
            while (batcher.inFlight() > 0) {
                for (ContinuousBatcher.Finished f : batcher.step()) {
                    done.put(f.tag(), f.generation());
                }
            }
        }
        assertThat(done).hasSize(3);
        done.forEach((tag, g) -> {
            assertThat(heard.get(tag)).containsExactlyElementsOf(java.util.Arrays.stream(g.tokenIds()).boxed()
                    .toList());
            assertThat(lastAt.get(tag)).isEqualTo(g.tokenIds().length);
        });
    }
}
