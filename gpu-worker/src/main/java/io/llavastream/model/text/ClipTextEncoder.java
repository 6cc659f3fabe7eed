package io.llavastream.model.text;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
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

    public ClipTextEncoder(ModelDirectory dir, PromptTokenizer tokenizer, EngineOptions options) {
        this.graph = new OnnxGraph(dir.graph("text_encoder.onnx"), options, Set.of("input_ids", "attention_mask"),
                Set.of("text_embeds"));
        this.tokenizer = tokenizer;
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
        return L2.normalize(embedIds(tokenizer.encodeForClip(text)));
    }

    @Override
    public void close() {
        graph.close();
    }
}
