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
 * the new keys are read from position L of present.*. The input tensors live in direct buffers and are recreated
 * only when B or L changes.
 */
final class SlotStep implements AutoCloseable {
    private final LlamaDecoder decoder;
    private final int hidden;
    private final int tensorCount;
    private final FloatBuffer embeds;
    private final LongBuffer mask;
    private final LongBuffer positions;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private int rows = -1;
    private int capacity = -1;

    SlotStep(LlamaDecoder decoder, int maxRows) {
        this.decoder = decoder;
        this.hidden = decoder.config().hiddenSize();
        this.tensorCount = 2 * decoder.config().numLayers();
        int context = decoder.config().maxPositionEmbeddings();
        this.embeds = direct(maxRows * hidden * Float.BYTES).asFloatBuffer();
        this.mask = direct(maxRows * (context + 1) * Long.BYTES).asLongBuffer();
        this.positions = direct(maxRows * Long.BYTES).asLongBuffer();
    }

    private static ByteBuffer direct(int bytes) {
        return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
    }

    /**
     * Runs {@code b} rows: {@code tokenEmbeds} [B, D], {@code lengths} [B] the tokens each row has cached (its
     * position). Writes the new keys and values into {@code cache} and returns the logits [B, V].
     */
    float[] run(KvSlots cache, float[] tokenEmbeds, int[] lengths, int b) {
        int cap = cache.capacity();
        boolean merged = !decoder.hasStepGraph();
        int width = merged ? cap + 1 : cap;
        if (b != rows || cap != capacity) {
            reshape(b, width);
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
            inputs.put(decoder.pastName(t), cache.tensor(t, b, x -> decoder.floats(cache.rows(k, b), b,
                    decoder.config().numKeyValueHeads(), cap, decoder.config().headDim())));
        }
        try (OrtSession.Result r = decoder.runStep(inputs)) {
            int newLength = merged ? cap + 1 : 1;
            for (int t = 0; t < tensorCount; t++) {
                FloatBuffer out = ((OnnxTensor) r.get(decoder.newName(t)).orElseThrow()).getFloatBuffer();
                for (int row = 0; row < b; row++) {
                    cache.copyIn(t, out, row, newLength, newLength - 1, row, lengths[row], 1);
                }
            }
            FloatBuffer logits = ((OnnxTensor) r.get("logits").orElseThrow()).getFloatBuffer();
            float[] out = new float[logits.remaining()];
            logits.get(out);
            return out;
        }
    }

    /** New input tensors over the same direct buffers for B rows and a mask of {@code width} columns. */
    private void reshape(int b, int width) {
        closeOwn();
        inputs.clear();
        inputs.put("inputs_embeds", decoder.floats(embeds.duplicate().limit(b * hidden).slice(), b, 1, hidden));
        inputs.put("attention_mask", decoder.longs(mask.duplicate().limit(b * width).slice(), b, width));
        inputs.put("position_ids", decoder.longs(positions.duplicate().limit(b).slice(), b, 1));
        rows = b;
        capacity = decoder.hasStepGraph() ? width : width - 1;
    }

    private void closeOwn() {
        for (String name : new String[] {"inputs_embeds", "attention_mask", "position_ids"}) {
            OnnxTensor t = inputs.get(name);
            if (t != null) {
                t.close();
            }
        }
    }

    /** Closes the tensors this step made; the cache closes its own. */
    @Override
    public void close() {
        closeOwn();
        inputs.clear();
    }
}
