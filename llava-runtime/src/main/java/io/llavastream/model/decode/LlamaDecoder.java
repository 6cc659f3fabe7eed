package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaConfig;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.OnnxGraph;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The LLaMA-style decoder ({@code onnx/decoder_model_merged.onnx}) with a KV cache.
 *
 * <p>Graph: inputs_embeds [B,T,D], attention_mask [B,S], position_ids [B,T], past_key_values.{i}.key/value
 * [B,KVH,S-T,hd] to logits [B,T,V] and present.{i}.key/value [B,KVH,S,hd]. This class runs one sequence (B = 1).
 */
public final class LlamaDecoder implements AutoCloseable {
    private final OnnxGraph graph;
    private final LlavaConfig.TextConfig config;
    /** present.{i}.key -> past_key_values.{i}.key, for every layer and both of key and value. */
    private final Map<String, String> presentToPast = new LinkedHashMap<>();
    /** [context] ones in native memory; each step's attention mask is a zero-copy view of its first S entries. */
    private final LongBuffer ones;

    public LlamaDecoder(ModelDirectory dir, EngineOptions options) {
        this.config = dir.config().text();
        Set<String> inputs = new HashSet<>(Set.of("inputs_embeds", "attention_mask", "position_ids"));
        Set<String> outputs = new HashSet<>(Set.of("logits"));
        for (int i = 0; i < config.numLayers(); i++) {
            for (String kv : new String[] {"key", "value"}) {
                presentToPast.put("present." + i + "." + kv, "past_key_values." + i + "." + kv);
            }
        }
        inputs.addAll(presentToPast.values());
        outputs.addAll(presentToPast.keySet());
        this.graph = new OnnxGraph(dir.graph("decoder_model_merged.onnx"), options, inputs, outputs);
        this.ones = ByteBuffer.allocateDirect(config.maxPositionEmbeddings() * Long.BYTES)
                .order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int i = 0; i < config.maxPositionEmbeddings(); i++) {
            ones.put(i, 1L);
        }
    }

    /** An empty cache: zero-length past tensors [1, KVH, 0, hd], which the graph accepts for prefill. */
    public KvCache newCache() {
        Map<String, OnnxTensor> empty = new HashMap<>();
        for (String name : presentToPast.values()) {
            empty.put(name, graph.floats(FloatBuffer.allocate(0), 1, config.numKeyValueHeads(), 0, config.headDim()));
        }
        return new KvCache(empty);
    }

    /**
     * Runs {@code tokens} new embeddings ([T, D] row-major) after what the cache holds, grows the cache by T and
     * returns the logits of the last new position, [V].
     */
    public float[] forward(float[] embeds, int tokens, KvCache cache) {
        int past = cache.length();
        int total = past + tokens;
        if (total > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("sequence of " + total + " tokens exceeds the context of "
                    + config.maxPositionEmbeddings());
        }
        long[] positions = new long[tokens];
        for (int t = 0; t < tokens; t++) {
            positions[t] = past + t;
        }
        Map<String, OnnxTensor> in = new HashMap<>(cache.past());
        try (OnnxTensor e = graph.floats(embeds, 1, tokens, config.hiddenSize());
             OnnxTensor m = graph.longs(ones.duplicate().limit(total).slice(), 1, total);
             OnnxTensor p = graph.longs(positions, 1, tokens)) {
            in.put("inputs_embeds", e);
            in.put("attention_mask", m);
            in.put("position_ids", p);
            OrtSession.Result r = graph.run(in);
            float[] logits = lastRow(r, tokens);
            cache.advance(r, presentToPast, tokens);
            return logits;
        }
    }

    /**
     * One decode step for a batch of B sequences, one new token each, over a shared left-padded past.
     *
     * @param embeds    [B, D] the new token of every row
     * @param mask      [B, S+1] 1 for real tokens, 0 for left padding
     * @param positions [B] each row's position (its own length so far)
     * @param past      past_key_values.* tensors [B, KVH, S, hd]
     * @return the run result, owned by the caller: logits [B, 1, V] and present.* [B, KVH, S+1, hd]
     */
    OrtSession.Result stepBatch(float[] embeds, int batch, long[] mask, long[] positions,
                                Map<String, OnnxTensor> past) {
        Map<String, OnnxTensor> in = new HashMap<>(past);
        try (OnnxTensor e = graph.floats(embeds, batch, 1, config.hiddenSize());
             OnnxTensor m = graph.longs(mask, batch, mask.length / batch);
             OnnxTensor p = graph.longs(positions, batch, 1)) {
            in.put("inputs_embeds", e);
            in.put("attention_mask", m);
            in.put("position_ids", p);
            return graph.run(in);
        }
    }

    /**
     * Prefill of B prompts at once, left-padded to the longest: embeds [B, T, D] (zeros at padding), mask [B, T],
     * positions [B, T] (each row counts from 0 at its first real token), over an empty past.
     *
     * @return the run result, owned by the caller: logits [B, T, V] and present.* [B, KVH, T, hd]
     */
    OrtSession.Result prefillBatch(float[] embeds, int batch, int tokens, long[] mask, long[] positions) {
        Map<String, OnnxTensor> in = new HashMap<>();
        List<OnnxTensor> owned = new java.util.ArrayList<>();
        try {
            for (String name : presentToPast.values()) {
                OnnxTensor t = graph.floats(FloatBuffer.allocate(0), batch, config.numKeyValueHeads(), 0,
                        config.headDim());
                owned.add(t);
                in.put(name, t);
            }
            OnnxTensor e = graph.floats(embeds, batch, tokens, config.hiddenSize());
            owned.add(e);
            OnnxTensor m = graph.longs(mask, batch, tokens);
            owned.add(m);
            OnnxTensor p = graph.longs(positions, batch, tokens);
            owned.add(p);
            in.put("inputs_embeds", e);
            in.put("attention_mask", m);
            in.put("position_ids", p);
            return graph.run(in);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    /** A past tensor [B, KVH, S, hd] over {@code data}. */
    OnnxTensor pastTensor(float[] data, int batch, int length) {
        return graph.floats(data, batch, config.numKeyValueHeads(), length, config.headDim());
    }

    Map<String, String> presentToPast() {
        return presentToPast;
    }

    private float[] lastRow(OrtSession.Result r, int tokens) {
        FloatBuffer all = ((OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer();
        int vocab = all.remaining() / tokens;
        float[] row = new float[vocab];
        all.position((tokens - 1) * vocab);
        all.get(row);
        return row;
    }

    public LlavaConfig.TextConfig config() {
        return config;
    }

    @Override
    public void close() {
        graph.close();
    }
}
