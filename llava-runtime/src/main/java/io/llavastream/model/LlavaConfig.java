package io.llavastream.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The parts of a model directory's {@code config.json}, {@code processor_config.json} and
 * {@code generation_config.json} that the runtime needs.
 *
 * @param modelId          {@code _name_or_path}, stamped on every answer
 * @param visionModelId    {@code vision_model_id} (our addition), else the model id: names the vision tower in the
 *                         vision-feature cache, so a new LM version over the same tower reuses cached features
 * @param imageTokenIndex  id of {@code <image>} in the vocabulary
 * @param tokensPerImage   number of {@code <image>} tokens one image expands to: (H/p)*(W/p) + additional tokens
 * @param maxNewTokens     default generation length from generation_config.json
 */
public record LlavaConfig(String modelId, String visionModelId, long imageTokenIndex, int tokensPerImage,
                          TextConfig text, VisionConfig vision, ClipTextConfig clipText, int maxNewTokens) {

    /**
     * The CLIP text tower ({@code clip_text_config}, our addition to the LLaVA config).
     *
     * @param tokenizerFile           its own tokenizer in the model directory, or null to share the LM's
     * @param maxPositionEmbeddings   the tower's context in tokens (77 for OpenAI's CLIP)
     * @param logitScale              the multiplier of image-text cosines in CLIP's softmax: exp of {@code
     *                                clip_text_config.logit_scale} (log-space, as CLIP learns it), capped at 100 as
     *                                in training; {@link #DEFAULT_LOGIT_SCALE} when the config has none
     */
    public record ClipTextConfig(String tokenizerFile, long eosTokenId, int maxPositionEmbeddings, double logitScale) {
        /** OpenAI CLIP's trained multiplier (its log scale reached the cap, ln 100 = 4.6052). */
        public static final double DEFAULT_LOGIT_SCALE = 100;

        static double logitScale(JsonNode clipText) {
            JsonNode v = clipText.get("logit_scale");
            if (v == null || v.isNull()) {
                return DEFAULT_LOGIT_SCALE;
            }
            if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
                throw new ModelException("clip_text_config.logit_scale must be a number (log-space), got " + v);
            }
            return Math.min(Math.exp(v.asDouble()), DEFAULT_LOGIT_SCALE);
        }
    }

    /**
     * The language model's shape.
     *
     * @param hiddenSize             D, width of the token embeddings
     * @param numKeyValueHeads       KVH, heads in the KV cache
     * @param headDim                hd, width of one head
     * @param maxPositionEmbeddings  the context length in tokens
     */
    public record TextConfig(int vocabSize, int hiddenSize, int numLayers, int numAttentionHeads,
                             int numKeyValueHeads, int headDim, int maxPositionEmbeddings, long bosTokenId,
                             long eosTokenId, long padTokenId) {
    }

    /**
     * The CLIP vision tower's shape.
     *
     * @param imageSize     square input side in pixels
     * @param hiddenSize    Dv, width of the patch features
     * @param projectionDim E, width of the CLIP image embedding
     */
    public record VisionConfig(int imageSize, int patchSize, int hiddenSize, int projectionDim,
                               int featureLayer, String selectStrategy) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    public static LlavaConfig read(Path dir) {
        JsonNode c = json(dir.resolve("config.json"));
        JsonNode p = json(dir.resolve("processor_config.json"));
        JsonNode g = json(dir.resolve("generation_config.json"));
        JsonNode t = required(c, "text_config", "config.json");
        JsonNode v = required(c, "vision_config", "config.json");
        int heads = intField(t, "num_attention_heads", "text_config");
        int hidden = intField(t, "hidden_size", "text_config");
        TextConfig text = new TextConfig(intField(t, "vocab_size", "text_config"), hidden,
                intField(t, "num_hidden_layers", "text_config"), heads,
                t.path("num_key_value_heads").asInt(heads), t.path("head_dim").asInt(hidden / heads),
                intField(t, "max_position_embeddings", "text_config"), t.path("bos_token_id").asLong(1),
                g.path("eos_token_id").asLong(t.path("eos_token_id").asLong(2)), t.path("pad_token_id").asLong(0));
        String strategy = c.path("vision_feature_select_strategy").asText("default");
        VisionConfig vision = new VisionConfig(intField(v, "image_size", "vision_config"),
                intField(v, "patch_size", "vision_config"), intField(v, "hidden_size", "vision_config"),
                v.path("projection_dim").asInt(0), c.path("vision_feature_layer").asInt(-2), strategy);
        int side = vision.imageSize() / p.path("patch_size").asInt(vision.patchSize());
        int tokensPerImage = side * side + p.path("num_additional_image_tokens").asInt(0);
        JsonNode ct = required(c, "clip_text_config", "config.json");
        ClipTextConfig clip = new ClipTextConfig(ct.hasNonNull("tokenizer_file") ? ct.get("tokenizer_file").asText()
                : null, ct.path("eos_token_id").asLong(text.eosTokenId()),
                intField(ct, "max_position_embeddings", "clip_text_config"), ClipTextConfig.logitScale(ct));
        String modelId = c.path("_name_or_path").asText(dir.getFileName().toString());
        return new LlavaConfig(modelId, c.path("vision_model_id").asText(modelId),
                intField(c, "image_token_index", "config.json"), tokensPerImage, text, vision, clip,
                g.path("max_new_tokens").asInt(32));
    }

    static JsonNode json(Path file) {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new ModelException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode required(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new ModelException(where + " has no '" + field + "'");
        }
        return v;
    }

    private static int intField(JsonNode n, String field, String where) {
        JsonNode v = required(n, field, where);
        if (!v.canConvertToInt()) {
            throw new ModelException(where + "." + field + " must be an integer, got " + v);
        }
        return v.asInt();
    }
}
