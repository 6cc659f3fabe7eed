package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaConfig;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.OnnxGraph;
import io.llavastream.model.adapter.AdapterSet;
import io.llavastream.model.adapter.ModuleShapes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The LLaMA-style decoder with a KV cache: {@code onnx/decoder_model_merged.onnx}, and, when the model directory has
 * it, {@code onnx/decoder_step.onnx} for batched decode steps over a pre-allocated cache.
 *
 * <p>{@code decoder_model_merged.onnx} (prefill, the single-sequence path, and the step fallback): inputs_embeds
 * [B,T,D], attention_mask [B,S], position_ids [B,T], past_key_values.{i}.key/value [B,KVH,S-T,hd] to logits
 * [B,T,V] and present.{i}.key/value [B,KVH,S,hd]; it concatenates past and new keys, so a step copies the cache.
 *
 * <p>{@code decoder_step.onnx} (written by tools/train/step_graph.py): inputs_embeds [B,1,D], attention_mask [B,L]
 * (1 = slot holds a key of this row), position_ids [B,1], past_key.{i}/past_value.{i} [B,KVH,L,hd] to logits
 * [B,1,V] and only new_key.{i}/new_value.{i} [B,KVH,1,hd]; the caller writes those into its cache (see
 * {@link KvSlots}). Without it (a model directory written before the step graph existed), {@link SlotStep} runs the
 * merged graph over the same cache and reads the new keys from the last position of present.*.
 *
 * <p>With LoRA adapters ({@link AdapterSet}, docs/adapters.md) it loads the adapter-capable variants
 * {@value #MERGED_LORA_GRAPH} and {@value #STEP_LORA_GRAPH} instead: the same inputs plus lora_mask [B, C] and
 * lora_A/lora_B.{i}.{module}, and every run names each row's adapter (0 = the base model).
 */
public final class LlamaDecoder implements AutoCloseable {
    private final OnnxGraph graph;
    private final LlavaConfig.TextConfig config;
    /** present.{i}.key -> past_key_values.{i}.key, for every layer and both of key and value. */
    private final Map<String, String> presentToPast = new LinkedHashMap<>();
    /** [context] ones in native memory; each step's attention mask is a zero-copy view of its first S entries. */
    private final LongBuffer ones;
    /** decoder_step.onnx, or null when the directory lacks it or it is switched off. */
    private final OnnxGraph step;
    private final AdapterSet adapters;
    /** The stacked lora_A/lora_B inputs, made once; empty without adapters. */
    private final Map<String, OnnxTensor> loraWeights = new HashMap<>();
    /**
     * The per-run lora_mask [B, C] in native memory, grown as needed (a run's tensor is a zero-copy view); one per
     * thread, since the decoder's sessions may be run from several.
     */
    private final ThreadLocal<FloatBuffer> maskBuffers = new ThreadLocal<>();

    /** Loads the merged decoder, and the step graph when the directory has it. */
    public LlamaDecoder(ModelDirectory dir, EngineOptions options) {
        this(dir, options, true);
    }

    /**
     * @param useStepGraph load {@value #STEP_GRAPH} when present; false runs batched steps on the merged graph (the
     *                     fallback, and the alternative the benchmark compares against)
     */
    public LlamaDecoder(ModelDirectory dir, EngineOptions options, boolean useStepGraph) {
        this(dir, options, useStepGraph, AdapterSet.EMPTY);
    }

    /**
     * @param adapters the LoRA adapters rows may use; when not empty, the adapter-capable graphs are loaded (a
     *                 model directory without them is refused, naming the missing file)
     */
    public LlamaDecoder(ModelDirectory dir, EngineOptions options, boolean useStepGraph, AdapterSet adapters) {
        this.config = dir.config().text();
        this.adapters = adapters;
        boolean lora = !adapters.isEmpty();
        Set<String> inputs = new HashSet<>(Set.of("inputs_embeds", "attention_mask", "position_ids"));
        Set<String> outputs = new HashSet<>(Set.of("logits"));
        for (int i = 0; i < config.numLayers(); i++) {
            for (String kv : new String[] {"key", "value"}) {
                presentToPast.put("present." + i + "." + kv, "past_key_values." + i + "." + kv);
            }
        }
        inputs.addAll(presentToPast.values());
        outputs.addAll(presentToPast.keySet());
        if (lora) {
            inputs.addAll(loraInputNames());
            requireFile(dir, MERGED_LORA_GRAPH);
        }
        String stepFile = lora ? STEP_LORA_GRAPH : STEP_GRAPH;
        boolean withStep = useStepGraph && Files.isRegularFile(dir.graph(stepFile));
        // with a step graph, prefill (merged) and steps (step graph) take turns: neither session's threads may spin
        this.graph = new OnnxGraph(dir.graph(lora ? MERGED_LORA_GRAPH : "decoder_model_merged.onnx"), options, inputs,
                outputs, !withStep);
        this.ones = ByteBuffer.allocateDirect(config.maxPositionEmbeddings() * Long.BYTES)
                .order(ByteOrder.nativeOrder()).asLongBuffer();
        for (int i = 0; i < config.maxPositionEmbeddings(); i++) {
            ones.put(i, 1L);
        }
        this.step = withStep ? loadStep(dir, options, stepFile, lora) : null;
        if (lora) {
            for (int i = 0; i < adapters.layers(); i++) {
                for (String m : ModuleShapes.MODULES) {
                    loraWeights.put("lora_A." + i + "." + m, graph.floats(adapters.stackedA(i, m),
                            adapters.shapes().in(m), adapters.columns()));
                    loraWeights.put("lora_B." + i + "." + m, graph.floats(adapters.stackedB(i, m),
                            adapters.columns(), adapters.shapes().out(m)));
                }
            }
        }
    }

    /** The step graph's file under onnx/; optional. */
    public static final String STEP_GRAPH = "decoder_step.onnx";
    /** The adapter-capable merged decoder (tools/train/export_lora_graphs.py); needed with adapters. */
    public static final String MERGED_LORA_GRAPH = "decoder_model_merged_lora.onnx";
    /** The adapter-capable step graph; optional, as {@value #STEP_GRAPH}. */
    public static final String STEP_LORA_GRAPH = "decoder_step_lora.onnx";

    private static void requireFile(ModelDirectory dir, String graph) {
        if (!Files.isRegularFile(dir.graph(graph))) {
            throw new io.llavastream.model.adapter.AdapterException(dir.graph(graph) + " is missing: serving LoRA "
                    + "adapters needs the adapter-capable graphs (tools/train/export_lora_graphs.py writes them)");
        }
    }

    private List<String> loraInputNames() {
        List<String> names = new java.util.ArrayList<>(List.of("lora_mask"));
        for (int i = 0; i < config.numLayers(); i++) {
            for (String m : ModuleShapes.MODULES) {
                names.add("lora_A." + i + "." + m);
                names.add("lora_B." + i + "." + m);
            }
        }
        return names;
    }

    /** The adapters rows may select (empty: the plain graphs run). */
    public AdapterSet adapters() {
        return adapters;
    }

    /**
     * Adds the LoRA inputs for {@code rows} rows with adapters {@code rowAdapters} to {@code in}; returns the mask
     * tensor, which the caller closes after the run (null without adapters).
     */
    OnnxTensor addLora(Map<String, OnnxTensor> in, int[] rowAdapters, int rows) {
        if (adapters.isEmpty()) {
            for (int r = 0; rowAdapters != null && r < rows; r++) {
                if (rowAdapters[r] != 0) {
                    throw new io.llavastream.model.adapter.AdapterException("row " + r + " asks for adapter index "
                            + rowAdapters[r] + " but this decoder has no adapters loaded");
                }
            }
            return null;
        }
        int size = rows * adapters.columns();
        FloatBuffer maskBuffer = maskBuffers.get();
        if (maskBuffer == null || maskBuffer.capacity() < size) {
            maskBuffer = ByteBuffer.allocateDirect(size * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
            maskBuffers.set(maskBuffer);
        }
        adapters.mask(rowAdapters == null ? new int[rows] : rowAdapters, rows, maskBuffer);
        OnnxTensor t = graph.floats(maskBuffer.duplicate().position(0).limit(size).slice(), rows, adapters.columns());
        in.putAll(loraWeights);
        in.put("lora_mask", t);
        return t;
    }

    private OnnxGraph loadStep(ModelDirectory dir, EngineOptions options, String file, boolean lora) {
        Set<String> in = new HashSet<>(Set.of("inputs_embeds", "attention_mask", "position_ids"));
        if (lora) {
            in.addAll(loraInputNames());
        }
        Set<String> out = new HashSet<>(Set.of("logits"));
        for (int t = 0; t < 2 * config.numLayers(); t++) {
            in.add(stepPast(t));
            out.add(stepNew(t));
        }
        try {
            return new OnnxGraph(dir.graph(file), options, in, out, false);
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /** Whether batched steps run on decoder_step.onnx (else on the merged graph). */
    public boolean hasStepGraph() {
        return step != null;
    }

    /** Cache tensor t (2 per layer: key, value) as the batched step's graph names its input. */
    String pastName(int t) {
        return step != null ? stepPast(t) : "past_key_values." + t / 2 + "." + kv(t);
    }

    /** The output holding tensor t's new keys: [B,KVH,1,hd] for the step graph, [B,KVH,L+1,hd] for the merged. */
    String newName(int t) {
        return step != null ? stepNew(t) : presentName(t);
    }

    /** The merged graph's present output of tensor t. */
    static String presentName(int t) {
        return "present." + t / 2 + "." + kv(t);
    }

    private static String stepPast(int t) {
        return "past_" + kv(t) + "." + t / 2;
    }

    private static String stepNew(int t) {
        return "new_" + kv(t) + "." + t / 2;
    }

    private static String kv(int t) {
        return t % 2 == 0 ? "key" : "value";
    }

    /**
     * Runs a batched step on the step graph, or on the merged graph without one, writing logits and {@link #newName}
     * outputs into the caller's pinned tensors; the caller closes the result.
     */
    OrtSession.Result runStep(Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> pinnedOutputs) {
        return runStep(inputs, pinnedOutputs, null, 0);
    }

    /** As above, row r with adapter {@code rowAdapters[r]} (null: every row on the base model). */
    OrtSession.Result runStep(Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> pinnedOutputs,
                              int[] rowAdapters, int rows) {
        OnnxTensor mask = addLora(inputs, rowAdapters, rows);
        try {
            return (step != null ? step : graph).run(inputs, pinnedOutputs);
        } finally {
            if (mask != null) {
                mask.close();
            }
        }
    }

    /** A tensor over {@code data} (zero-copy when direct and native-order). */
    OnnxTensor floats(FloatBuffer data, long... shape) {
        return graph.floats(data, shape);
    }

    OnnxTensor longs(LongBuffer data, long... shape) {
        return graph.longs(data, shape);
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
        return forward(embeds, tokens, cache, 0);
    }

    /** As above, with adapter {@code adapter} (0 = the base model; see {@link AdapterSet#index}). */
    public float[] forward(float[] embeds, int tokens, KvCache cache, int adapter) {
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
            OnnxTensor loraMask = addLora(in, new int[] {adapter}, 1);
            try {
                OrtSession.Result r = graph.run(in);
                float[] logits = lastRow(r, tokens);
                cache.advance(r, presentToPast, tokens);
                return logits;
            } finally {
                if (loraMask != null) {
                    loraMask.close();
                }
            }
        }
    }

    /**
     * Prefill of B prompts at once, right-padded to the longest: embeds [B, T, D], mask [B, T] (1 for a row's
     * tokens, 0 for its padding), positions [B, T] (0, 1, ... in every row), over an empty past. Row b's keys sit at
     * positions 0..len-1 of present.*, where its slots in {@link KvSlots} want them.
     *
     * @return the run result, owned by the caller: logits [B, T, V] and present.* [B, KVH, T, hd]
     */
    OrtSession.Result prefillBatch(float[] embeds, int batch, int tokens, long[] mask, long[] positions) {
        return prefillBatch(embeds, batch, tokens, mask, positions, null);
    }

    /** As above, writing logits and present.* into {@code pinned} (see {@link PrefillBuffers}) when not null. */
    OrtSession.Result prefillBatch(float[] embeds, int batch, int tokens, long[] mask, long[] positions,
                                   Map<String, OnnxTensor> pinned) {
        return prefillBatch(embeds, batch, tokens, mask, positions, pinned, null);
    }

    /** As above, row b with adapter {@code rowAdapters[b]} (null: every row on the base model). */
    OrtSession.Result prefillBatch(float[] embeds, int batch, int tokens, long[] mask, long[] positions,
                                   Map<String, OnnxTensor> pinned, int[] rowAdapters) {
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
            OnnxTensor loraMask = addLora(in, rowAdapters, batch);
            if (loraMask != null) {
                owned.add(loraMask);
            }
            return pinned == null ? graph.run(in) : graph.run(in, pinned);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
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
        loraWeights.values().forEach(OnnxTensor::close);
        loraWeights.clear();
        graph.close();
        if (step != null) {
            step.close();
        }
    }
}
