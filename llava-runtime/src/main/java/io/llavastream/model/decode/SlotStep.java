package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * One batched decode step over a {@link KvSlots} cache: row b feeds one token at its own position (its number of
 * cached tokens), attends to its valid slots, and its new key and value are written into its slot at that
 * position.
 *
 * <p>On {@code decoder_step.onnx} the cache goes in as zero-copy tensors [B, KVH, L, hd] and only [B, KVH, 1, hd]
 * comes out. On the merged decoder (the fallback) the same tensors go in as past_key_values with a mask [B, L+1]
 * whose last column is the new token; the graph concatenates (a copy of the whole cache inside ONNX Runtime) and
 * the new keys are read from position L of present.*. Inputs and outputs live in direct buffers owned here (the
 * outputs are ONNX Runtime's pinned outputs, so it allocates nothing per step); their tensor objects are recreated
 * only when B or L changes.
 */
final class SlotStep implements AutoCloseable {
    private final LlamaDecoder decoder;
    private final int hidden;
    private final int vocab;
    private final int kvh;
    private final int hd;
    private final int maxRows;
    private final int tensorCount;
    private final FloatBuffer embeds;
    private final LongBuffer mask;
    private final LongBuffer positions;
    private final FloatBuffer logits;
    /** Per cache tensor: the step's new keys, [B, KVH, n, hd] with n = 1 (step graph) or L+1 (merged). */
    private final FloatBuffer[] news;
    private int newsCapacity = -1;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private final Map<String, OnnxTensor> outputs = new HashMap<>();
    private int rows = -1;
    private int capacity = -1;

    SlotStep(LlamaDecoder decoder, int maxRows) {
        this.decoder = decoder;
        this.hidden = decoder.config().hiddenSize();
        this.vocab = decoder.config().vocabSize();
        this.kvh = decoder.config().numKeyValueHeads();
        this.hd = decoder.config().headDim();
        this.maxRows = maxRows;
        this.tensorCount = 2 * decoder.config().numLayers();
        int context = decoder.config().maxPositionEmbeddings();
        this.embeds = direct(maxRows * hidden * Float.BYTES).asFloatBuffer();
        this.mask = direct(maxRows * (context + 1) * Long.BYTES).asLongBuffer();
        this.positions = direct(maxRows * Long.BYTES).asLongBuffer();
        this.logits = direct(maxRows * vocab * Float.BYTES).asFloatBuffer();
        this.news = new FloatBuffer[tensorCount];
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    /**
     * Runs {@code b} rows: {@code tokenEmbeds} [B, D], {@code lengths} [B] the tokens each row has cached (its
     * position). Writes the new keys and values into {@code cache} and returns the logits [B, V].
     */
    float[] run(KvSlots cache, float[] tokenEmbeds, int[] lengths, int b) {
        return run(cache, tokenEmbeds, lengths, null, b);
    }

    /** As above, row r decoding with LoRA adapter {@code adapters[r]} (null: all on the base model). */
    float[] run(KvSlots cache, float[] tokenEmbeds, int[] lengths, int[] adapters, int b) {
        int cap = cache.capacity();
        boolean merged = !decoder.hasStepGraph();
        int width = merged ? cap + 1 : cap;
        if (b != rows || cap != capacity) {
            reshape(b, cap);
        }
        embeds.put(0, tokenEmbeds, 0, b * hidden);
        for (int r = 0; r < b; r++) {
            positions.put(r, lengths[r]);
            for (int s = 0; s < width; s++) {
                mask.put(r * width + s, s < lengths[r] || (merged && s == cap) ? 1L : 0L);
            }
        }
        for (int t = 0; t < tensorCount; t++) {
            int k = t;
            inputs.put(decoder.pastName(t), cache.tensor(t, b, x -> decoder.floats(cache.rows(k, b), b, kvh, cap, hd)));
        }
        try (OrtSession.Result r = decoder.runStep(inputs, outputs, adapters, b)) {
            int newLength = merged ? cap + 1 : 1;
            for (int t = 0; t < tensorCount; t++) {
                for (int row = 0; row < b; row++) {
                    cache.copyIn(t, news[t], row, newLength, newLength - 1, row, lengths[row], 1);
                }
            }
        }
        float[] out = new float[b * vocab];
        logits.get(0, out);
        return out;
    }

    /** New input and output tensors over the same direct buffers for B rows and a cache of {@code cap} slots. */
    private void reshape(int b, int cap) {
        boolean merged = !decoder.hasStepGraph();
        int width = merged ? cap + 1 : cap;
        int newLength = merged ? cap + 1 : 1;
        if (newsCapacity != newLength) {  // the merged graph's present.* grow with the cache
            for (int t = 0; t < tensorCount; t++) {
                news[t] = direct(maxRows * kvh * newLength * hd * Float.BYTES).asFloatBuffer();
            }
            newsCapacity = newLength;
        }
        close();
        inputs.put("inputs_embeds", decoder.floats(embeds.duplicate().limit(b * hidden).slice(), b, 1, hidden));
        inputs.put("attention_mask", decoder.longs(mask.duplicate().limit(b * width).slice(), b, width));
        inputs.put("position_ids", decoder.longs(positions.duplicate().limit(b).slice(), b, 1));
        outputs.put("logits", decoder.floats(logits.duplicate().limit(b * vocab).slice(), b, 1, vocab));
        for (int t = 0; t < tensorCount; t++) {
            outputs.put(decoder.newName(t), decoder.floats(news[t].duplicate().limit(b * kvh * newLength * hd)
                    .slice(), b, kvh, newLength, hd));
        }
        rows = b;
        capacity = cap;
    }

    /** Closes the tensors this step made (the cache closes its own). */
    @Override
    public void close() {
        for (String name : new String[] {"inputs_embeds", "attention_mask", "position_ids"}) {
            OnnxTensor t = inputs.remove(name);
            if (t != null) {
                t.close();
            }
        }
        outputs.values().forEach(OnnxTensor::close);
        outputs.clear();
    }
}
