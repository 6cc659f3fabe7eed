package io.llavastream.model.text;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.OnnxGraph;
import java.util.Map;
import java.util.Set;

/** The language model's token embeddings ({@code onnx/embed_tokens.onnx}): ids [1,T] to embeddings [1,T,D]. */
public final class TokenEmbedder implements AutoCloseable {
    private final OnnxGraph graph;

    public TokenEmbedder(ModelDirectory dir, EngineOptions options) {
        this.graph = new OnnxGraph(dir.graph("embed_tokens.onnx"), options, Set.of("input_ids"),
                Set.of("inputs_embeds"));
    }

    /** Embeddings of {@code ids}, [T, D] row-major. */
    public float[] embed(long[] ids) {
        try (OnnxTensor in = graph.longs(ids, 1, ids.length);
             OrtSession.Result r = graph.run(Map.of("input_ids", in))) {
            return OnnxGraph.floatsOf(r, "inputs_embeds");
        }
    }

    @Override
    public void close() {
        graph.close();
    }
}
