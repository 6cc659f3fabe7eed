package io.llavastream.model.text;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaConfig;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.OnnxGraph;
import io.llavastream.model.vision.L2;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * CLIP's text tower ({@code onnx/text_encoder.onnx}): a description to an embedding [E] in the same space as the
 * vision tower's image embeddings, so that a dot product retrieves images from text.
 */
public final class ClipTextEncoder implements AutoCloseable {
    private final OnnxGraph graph;
    private final PromptTokenizer tokenizer;
    private final boolean ownTokenizer;
    private final LlavaConfig.ClipTextConfig config;

    /**
     * @param lmTokenizer used when the model has no CLIP tokenizer of its own ({@code clip_text_config.tokenizer_file},
     *                    as real CLIP towers have); the demo model's towers share the LM's vocabulary
     */
    public ClipTextEncoder(ModelDirectory dir, PromptTokenizer lmTokenizer, EngineOptions options) {
        this.graph = new OnnxGraph(dir.graph("text_encoder.onnx"), options, Set.of("input_ids", "attention_mask"),
                Set.of("text_embeds"));
        this.config = dir.config().clipText();
        this.ownTokenizer = config.tokenizerFile() != null;
        this.tokenizer = ownTokenizer ? new PromptTokenizer(dir.file(config.tokenizerFile())) : lmTokenizer;
    }

    /** Ids the tower pools: the tokenized text ending in EOS, cut to the tower's context with EOS kept last. */
    public long[] tokenize(String text) {
        long[] ids = tokenizer.encode(text);
        boolean endsInEos = ids.length > 0 && ids[ids.length - 1] == config.eosTokenId();
        long[] out = Arrays.copyOf(ids, Math.min(ids.length + (endsInEos ? 0 : 1), config.maxPositionEmbeddings()));
        out[out.length - 1] = config.eosTokenId();
        return out;
    }

    /** The raw (unnormalised) embedding [E] of token ids ending in EOS. */
    public float[] embedIds(long[] ids) {
        long[] mask = new long[ids.length];
        Arrays.fill(mask, 1L);
        try (OnnxTensor in = graph.longs(ids, 1, ids.length);
             OnnxTensor m = graph.longs(mask, 1, ids.length);
             OrtSession.Result r = graph.run(Map.of("input_ids", in, "attention_mask", m))) {
            return OnnxGraph.floatsOf(r, "text_embeds");
        }
    }

    /** The L2-normalised embedding of {@code text}. */
    public float[] embed(String text) {
        return L2.normalize(embedIds(tokenize(text)));
    }

    @Override
    public void close() {
        graph.close();
        if (ownTokenizer) {
            tokenizer.close();
        }
    }
}
