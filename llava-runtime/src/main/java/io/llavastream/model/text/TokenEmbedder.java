package io.llavastream.model.text;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.OnnxGraph;
import java.util.Map;
import java.util.Set;

/**
 * The language model's token embeddings ({@code onnx/embed_tokens.onnx}): ids [1,T] to embeddings [1,T,D].
 *
 * <p>When the table is small (V x D up to {@link #TABLE_LIMIT} floats) it is read out of the graph once at load
 * time, so a decode step looks its token up in an array instead of paying for a second graph run. Larger
 * vocabularies (a 7B model's 32000 x 4096 table is 512 MB in fp32) keep running the graph.
 */
public final class TokenEmbedder implements AutoCloseable {
    /** Largest table, in floats, held in memory: 16M floats = 64 MB. */
    public static final long TABLE_LIMIT = 16L << 20;

    private final OnnxGraph graph;
    private final int hidden;
    private final int vocab;
    /** [V, D] row-major, or null when the table is over the limit. */
    private final float[] table;

    public TokenEmbedder(ModelDirectory dir, EngineOptions options) {
        this.graph = new OnnxGraph(dir.graph("embed_tokens.onnx"), options, Set.of("input_ids"),
                Set.of("inputs_embeds"));
        this.hidden = dir.config().text().hiddenSize();
        this.vocab = dir.config().text().vocabSize();
        this.table = (long) vocab * hidden <= TABLE_LIMIT ? runGraph(allIds(vocab)) : null;
    }

    /** Embeddings of {@code ids}, [T, D] row-major. */
    public float[] embed(long[] ids) {
        if (table == null) {
            return runGraph(ids);
        }
        float[] out = new float[ids.length * hidden];
        for (int t = 0; t < ids.length; t++) {
            long id = ids[t];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
            System.arraycopy(table, (int) id * hidden, out, t * hidden, hidden);
        }
        return out;
    }

    private float[] runGraph(long[] ids) {
        try (OnnxTensor in = graph.longs(ids, 1, ids.length);
             OrtSession.Result r = graph.run(Map.of("input_ids", in))) {
            return OnnxGraph.floatsOf(r, "inputs_embeds");
        }
    }

    private static long[] allIds(int vocab) {
        long[] ids = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            ids[i] = i;
        }
        return ids;
    }

    @Override
    public void close() {
        graph.close();
    }
}
