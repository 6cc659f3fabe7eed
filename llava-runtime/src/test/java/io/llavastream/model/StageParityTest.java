package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.model.vision.VisionFeatures;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each Java stage's output equals the training framework's own output for that stage (reference tensors written
 * by tools/train/export_onnx.py) within 1e-4, starting from the same pixel values.
 */
class StageParityTest {
    static final float TOLERANCE = 1e-4f;
    static LlavaModel model;
    static ReferenceTensors ref;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(TestModels.demo(), EngineOptions.cpu());
        ref = new ReferenceTensors(TestModels.demo());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void visionTowerMatchesReferencePatchFeaturesAndClipEmbedding() {
        for (JsonNode c : ref.manifest.get("cases")) {
            JsonNode t = c.get("tensors");
            VisionFeatures zv = model.vision().encode(ref.floats(t, name(c, "pixel_values")), 1);
            assertThat(ReferenceTensors.maxAbsDiff(zv.patchFeatures(), ref.floats(t, name(c, "image_features"))))
                    .isLessThan(TOLERANCE);
            assertThat(ReferenceTensors.maxAbsDiff(zv.imageEmbeds(), ref.floats(t, name(c, "image_embeds"))))
                    .isLessThan(TOLERANCE);
        }
    }

    @Test
    void projectorMatchesReferenceHv() {
        for (JsonNode c : ref.manifest.get("cases")) {
            JsonNode t = c.get("tensors");
            float[] zv = ref.floats(t, name(c, "image_features"));
            float[] hv = model.projector().project(zv, 1, model.merge().tokensPerImage());
            assertThat(ReferenceTensors.maxAbsDiff(hv, ref.floats(t, name(c, "projected_features"))))
                    .isLessThan(TOLERANCE);
        }
    }

    @Test
    void tokenizerAndMergeReproduceReferenceInputIdsAndEmbeddings() {
        for (JsonNode c : ref.manifest.get("cases")) {
            float[] hv = ref.floats(c.get("tensors"), name(c, "projected_features"));
            for (JsonNode turn : c.get("turns")) {
                JsonNode tt = turn.get("tensors");
                long[] ids = model.merge().expand(model.tokenizer().encode(turn.get("prompt").asText()), 1);
                assertThat(ids).containsExactly(ref.longs(tt, name(tt, "input_ids")));
                float[] merged = model.merge().scatter(ids, model.embedder().embed(ids), List.of(hv));
                assertThat(ReferenceTensors.maxAbsDiff(merged, ref.floats(tt, name(tt, "inputs_embeds"))))
                        .isLessThan(TOLERANCE);
            }
        }
    }

    @Test
    void decoderPrefillLogitsAndGreedyTokensMatchReference() {
        for (JsonNode c : ref.manifest.get("cases")) {
            for (JsonNode turn : c.get("turns")) {
                JsonNode tt = turn.get("tensors");
                float[] embeds = ref.floats(tt, name(tt, "inputs_embeds"));
                int tokens = ref.longs(tt, name(tt, "input_ids")).length;
                try (var cache = model.decoder().newCache()) {
                    float[] logits = model.decoder().forward(embeds, tokens, cache);
                    assertThat(ReferenceTensors.maxAbsDiff(logits, ref.floats(tt, name(tt, "prefill_last_logits"))))
                            .isLessThan(TOLERANCE);
                }
                long[] expected = longs(turn.get("greedy_token_ids"));
                long[] got = model.generator().generate(embeds, tokens, SamplingParams.greedy(32)).tokenIds();
                assertThat(got).as("greedy tokens for '%s'", turn.get("prompt").asText()).containsExactly(expected);
            }
        }
    }

    @Test
    void clipTextTowerMatchesReferenceTextEmbedding() {
        for (JsonNode c : ref.manifest.get("cases")) {
            JsonNode t = c.get("tensors");
            long[] ids = model.textEncoder().tokenize(c.get("caption").asText());
            assertThat(ids).containsExactly(ref.longs(t, name(c, "caption_input_ids")));
            assertThat(ReferenceTensors.maxAbsDiff(model.textEncoder().embedIds(ids), ref.floats(t,
                    name(c, "text_embeds")))).isLessThan(TOLERANCE);
        }
    }

    /** The manifest key of tensor {@code suffix} (keys are prefixed by case and turn). */
    private static String name(JsonNode node, String suffix) {
        JsonNode tensors = node.has("tensors") ? node.get("tensors") : node;
        var it = tensors.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (k.endsWith("." + suffix)) {
                return k;
            }
        }
        throw new IllegalArgumentException("no tensor *." + suffix + " in " + tensors);
    }

    private static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }

    @SuppressWarnings("unused")
    private static String show(long[] a) {
        return Arrays.toString(a);
    }
}
