package io.llavastream.model.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EncodedImages;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.TestModels;
import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.Generation;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.scenes.CaptionStyle;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled LoRA adapters (models/llava-demo/adapters) served together with the base model, on held-out scenes
 * (seed {@value #HELD_OUT_SEED}, never used in training): each adapter writes its domain's caption style, the base
 * model's captions do not change when adapters are loaded, and one mixed continuous batch gives every request the
 * tokens it gets alone.
 */
class AdapterServingTest {
    static final long HELD_OUT_SEED = 31337;
    static final int SCENES = 100;
    static final List<String> ADAPTERS = List.of("catalog", "inventory", "terse");
    static LlavaModel model;
    static final List<Scene> scenes = new ArrayList<>();
    static final List<float[]> prompts = new ArrayList<>();
    static int promptTokens;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu(),
                AdapterSpecs.parse(ADAPTERS, TestModels.demo()));
        for (Scene s : new SceneGenerator(HELD_OUT_SEED).scenes(0, SCENES)) {
            EncodedImages enc = model.encode(model.pixelValues(SceneRenderer.png(s)), 1);
            long[] ids = model.merge().expand(model.tokenizer().encode(PromptTemplate.captionPrompt()), 1);
            prompts.add(model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage()));
            promptTokens = ids.length;
            scenes.add(s);
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Decodes scene i with adapter {@code adapters[i]} for every i, all in one continuous batch of 32 rows. */
    static Map<Integer, Generation> batched(int[] adapters) {
        int[] scenesOf = new int[adapters.length];
        Arrays.setAll(scenesOf, i -> i);
        return batched(adapters, scenesOf);
    }

    /** Request i: scene {@code scenesOf[i]} with adapter {@code adapters[i]}. */
    static Map<Integer, Generation> batched(int[] adapters, int[] scenesOf) {
        Map<Integer, Generation> out = new HashMap<>();
        try (ContinuousBatcher batcher = model.decodeParts().batcher(32)) {
            for (int i = 0; i < adapters.length; i++) {
                batcher.submit(new ContinuousBatcher.Request(i, prompts.get(scenesOf[i]), promptTokens,
                        SamplingParams.greedy(32), adapters[i]));
            }
            while (batcher.inFlight() > 0) {
                batcher.step().forEach(f -> out.put((Integer) f.tag(), f.generation()));
            }
        }
        return out;
    }

    /**
     * The words of a caption: the tokenizer's decoder cleans up " ." to "." ("shape : circle. color : red."), the
     * styles are written word by word; both split the same way here.
     */
    static List<String> words(String text) {
        return List.of(text.replace(".", " . ").strip().split("\\s+"));
    }

    @Test
    void eachAdapterWritesItsDomainsCaptionStyleOnAtLeastNinetyPercentOfHeldOutScenes() {
        for (String name : ADAPTERS) {
            int index = model.decoder().adapters().index(name);
            CaptionStyle style = CaptionStyle.of(model.decoder().adapters().adapter(index).style());
            int[] rows = new int[SCENES];
            Arrays.fill(rows, index);
            Map<Integer, Generation> got = batched(rows);
            int exact = 0;
            List<String> misses = new ArrayList<>();
            for (int i = 0; i < SCENES; i++) {
                String text = model.tokenizer().decode(got.get(i).tokenIds());
                String want = style.render(scenes.get(i).objects());
                if (words(text).equals(words(want))) {
                    exact++;
                } else if (misses.size() < 3) {
                    misses.add("'" + text + "' (want '" + want + "')");
                }
            }
            System.out.printf("adapter %s: %d/%d exact on held-out scenes; misses e.g. %s%n", name, exact, SCENES,
                    misses);
            assertThat(exact).as("adapter %s exact matches, misses e.g. %s", name, misses)
                    .isGreaterThanOrEqualTo(SCENES * 9 / 10);
        }
    }

    @Test
    void baseCaptionsAreUnchangedWhenAdaptersAreLoaded() {
        Map<Integer, Generation> withAdapters = batched(new int[SCENES]);
        int exact = 0;
        try (LlavaModel plain = LlavaModel.load(TestModels.demo(), EngineOptions.cpu())) {
            assertThat(plain.decoder().adapters().isEmpty()).isTrue();
            for (int i = 0; i < SCENES; i++) {
                Generation alone = plain.generator().generate(prompts.get(i), promptTokens, SamplingParams.greedy(32));
                assertThat(withAdapters.get(i).tokenIds()).as("scene %d", i).containsExactly(alone.tokenIds());
                if (plain.tokenizer().decode(alone.tokenIds()).equals(scenes.get(i).caption())) {
                    exact++;
                }
            }
        }
        System.out.printf("base model: %d/%d exact captions, the same with and without adapters loaded%n", exact,
                SCENES);
        assertThat(exact).isGreaterThanOrEqualTo(SCENES * 9 / 10);
    }

    @Test
    void thirtyTwoConcurrentRequestsOverThreeAdaptersAndTheBaseGiveTheTokensEachGivesAlone() {
        int[] adapters = new int[32];
        int[] scenesOf = new int[32];
        for (int i = 0; i < adapters.length; i++) {
            adapters[i] = i % 4;  // 0 = base, 1..3 = catalog, inventory, terse: neighbours differ
            scenesOf[i] = i / 4;  // 8 scenes, each under all four
        }
        Map<Integer, Generation> mixed = batched(adapters, scenesOf);
        assertThat(mixed).hasSize(32);
        for (int i = 0; i < adapters.length; i++) {
            Generation alone = model.generator().generate(prompts.get(scenesOf[i]), promptTokens,
                    SamplingParams.greedy(32), adapters[i]);
            assertThat(mixed.get(i).tokenIds()).as("request %d, adapter %s", i,
                    model.decoder().adapters().name(adapters[i])).containsExactly(alone.tokenIds());
        }
        // and the four styles really differ: scene 0 gives four different answers
        List<String> texts = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            texts.add(model.tokenizer().decode(mixed.get(k).tokenIds()));
        }
        assertThat(texts).doesNotHaveDuplicates();
    }

    @Test
    void aRequestForAnAdapterIndexTheDecoderHasNotLoadedIsRefusedAtSubmitNamingTheLoadedOnes() {
        try (ContinuousBatcher batcher = model.decodeParts().batcher(2)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> batcher.submit(new ContinuousBatcher.Request(
                    "x", prompts.get(0), promptTokens, SamplingParams.greedy(4), 4)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("adapter index 4")
                    .hasMessageContaining("[catalog, inventory, terse]");
            assertThat(batcher.inFlight()).isZero();
        }
    }
}
