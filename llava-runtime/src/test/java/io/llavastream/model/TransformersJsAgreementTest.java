package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The independent reference: transformers.js, loading the model directory as a LlavaForConditionalGeneration and
 * starting from the same PNG files (generated scenes and samples/) through its own processor, produces the same greedy
 * tokens as the Java runtime, both one sequence at a time and all cases in one continuous batch.
 * A divergence is accepted only at a step where transformers.js's top two logits lie within 1e-4; it is reported.
 */
class TransformersJsAgreementTest {
    static final int SCENES = 20;
    static final int MAX_NEW_TOKENS = 32;
    static final double NEAR_TIE = 1e-4;

    @TempDir
    static Path dir;
    static List<Scene> scenes;
    static Path cases;

    /**
     * Per test, not in a {@code @BeforeAll}: an assumption that fails there makes Surefire report "Tests run: 0"
     * instead of each test as skipped with the reason.
     */
    @BeforeEach
    void assumeTransformersJsAndWriteCases() throws Exception {
        TransformersJs.assumeAvailable();
        if (cases == null) {
            writeCases();
        }
    }

    private static void writeCases() throws Exception {
        SceneWriter.write(31, SCENES, dir, i -> { });
        scenes = new SceneGenerator(31).scenes(0, SCENES);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = new ArrayList<>();
        for (Scene s : scenes) {
            String png = dir.resolve(s.id() + ".png").toString();
            lines.add(json.writeValueAsString(json.createObjectNode().put("image", png)
                    .put("prompt", PromptTemplate.captionPrompt())));
            String q = s.questions().get(s.index() % s.questions().size()).question();
            lines.add(json.writeValueAsString(json.createObjectNode().put("image", png)
                    .put("prompt", PromptTemplate.userTurn(q))));
        }
        for (Path png : samplePngs()) {
            lines.add(json.writeValueAsString(json.createObjectNode().put("image", png.toString())
                    .put("prompt", PromptTemplate.captionPrompt())));
        }
        cases = dir.resolve("cases.jsonl");
        Files.write(cases, lines);
    }

    @Test
    void greedyTokensEqualTransformersJsFromTheSamePngFiles() throws Exception {
        List<JsonNode> ref = TransformersJs.run(TestModels.demo(), cases, "--max-new-tokens",
                Integer.toString(MAX_NEW_TOKENS));
        assertThat(ref).hasSize(2 * SCENES + samplePngs().size());
        int identical = 0;
        List<String> nearTies = new ArrayList<>();
        try (LlavaModel model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu());
             ContinuousBatcher batcher = new ContinuousBatcher(model.decoder(), model.embedder(), 32)) {
            assertThat(model.decoder().hasStepGraph()).isTrue();
            for (int i = 0; i < ref.size(); i++) {  // every case also through one batch (32 rows, the rest join later)
                JsonNode r = ref.get(i);
                long[] ids = model.merge().expand(model.tokenizer().encode(r.get("prompt").asText()), 1);
                EncodedImages enc = model.encode(model.pixelValues(Files.readAllBytes(Path.of(r.get("image")
                        .asText()))), 1);
                batcher.submit(new ContinuousBatcher.Request(i, model.merge().scatter(ids, model.embedder().embed(ids),
                        enc.perImage()), ids.length, SamplingParams.greedy(MAX_NEW_TOKENS)));
            }
            Map<Object, long[]> batched = new HashMap<>();
            while (batcher.inFlight() > 0) {
                batcher.step().forEach(f -> batched.put(f.tag(), f.generation().tokenIds()));
            }
            for (int i = 0; i < ref.size(); i++) {
                JsonNode r = ref.get(i);
                long[] js = longs(r.get("token_ids"));
                int k = firstDifference(batched.get(i), js);
                if (k >= 0) {
                    JsonNode top2 = r.get("top2").get(k);
                    assertThat(top2.get(0).asDouble() - top2.get(1).asDouble())
                            .as("batched divergence from transformers.js at case %d step %d", i, k).isLessThan(NEAR_TIE);
                    nearTies.add("batched case " + i + " step " + k);
                }
            }
            for (JsonNode r : ref) {
                String prompt = r.get("prompt").asText();
                byte[] png = Files.readAllBytes(Path.of(r.get("image").asText()));
                long[] ids = model.merge().expand(model.tokenizer().encode(prompt), 1);
                assertThat(ids).as("input ids of %s", prompt).containsExactly(longs(r.get("input_ids")));
                long[] java = model.answer(model.pixelValues(png), 1, prompt, SamplingParams.greedy(MAX_NEW_TOKENS))
                        .tokenIds();
                long[] js = longs(r.get("token_ids"));
                int k = firstDifference(java, js);
                if (k < 0) {
                    identical++;
                    continue;
                }
                JsonNode top2 = r.get("top2").get(k);
                double gap = top2.get(0).asDouble() - top2.get(1).asDouble();
                String where = r.get("image").asText() + " '" + prompt.replace("\n", "\\n") + "' step " + k
                        + " (top-2 gap " + gap + ")";
                assertThat(gap).as("divergence from transformers.js at %s", where).isLessThan(NEAR_TIE);
                nearTies.add(where);
            }
        }
        System.out.printf("transformers.js agreement: %d of %d cases identical; near-tie divergences: %s%n",
                identical, ref.size(), nearTies);
    }

    @Test
    void pixelValuesEqualTransformersJsProcessorOnScenes() throws Exception {
        List<JsonNode> ref = TransformersJs.run(TestModels.demo(), cases, "--pixels");
        float worst = 0;
        try (LlavaModel model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu())) {
            for (JsonNode r : ref) {
                float[] java = model.pixelValues(Files.readAllBytes(Path.of(r.get("image").asText())));
                JsonNode data = r.get("data");
                assertThat(java).hasSize(data.size());
                for (int i = 0; i < java.length; i++) {
                    worst = Math.max(worst, Math.abs(java[i] - (float) data.get(i).asDouble()));
                }
            }
        }
        System.out.println("pixel values vs transformers.js on scenes: max |diff| = " + worst);
        assertThat(worst).isLessThan(1e-5f);
    }

    /** The PNG files of the repository's sample set (samples/). */
    private static List<Path> samplePngs() throws java.io.IOException {
        Path samples = Path.of(System.getProperty("llava.repo.root", ".")).resolve("samples");
        try (var files = Files.list(samples)) {
            return files.filter(f -> f.toString().endsWith(".png")).sorted().toList();
        }
    }

    private static int firstDifference(long[] a, long[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return a.length == b.length ? -1 : Math.min(a.length, b.length);
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
