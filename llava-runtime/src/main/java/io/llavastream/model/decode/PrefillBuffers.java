package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Where a batched prefill writes its outputs: direct buffers for logits [J, T, V] and present.* [J, KVH, T, hd],
 * handed to ONNX Runtime as pinned outputs, so it allocates nothing and the keys are copied once, from here into
 * the cache rows. The buffers grow to the largest prefill seen and are reused.
 */
final class PrefillBuffers implements AutoCloseable {
    private final LlamaDecoder decoder;
    private final int tensorCount;
    private final int kvh;
    private final int hd;
    private final int vocab;
    private FloatBuffer logits = FloatBuffer.allocate(0);
    private final FloatBuffer[] present;
    private final Map<String, OnnxTensor> pinned = new HashMap<>();

    PrefillBuffers(LlamaDecoder decoder) {
        this.decoder = decoder;
        this.tensorCount = 2 * decoder.config().numLayers();
        this.kvh = decoder.config().numKeyValueHeads();
        this.hd = decoder.config().headDim();
        this.vocab = decoder.config().vocabSize();
        this.present = new FloatBuffer[tensorCount];
        for (int t = 0; t < tensorCount; t++) {
            present[t] = FloatBuffer.allocate(0);
        }
    }

    /** The pinned output tensors for {@code j} prompts padded to {@code t} tokens; valid until the next call. */
    Map<String, OnnxTensor> outputs(int j, int t) {
        closeTensors();
        logits = fit(logits, j * t * vocab);
        pinned.put("logits", decoder.floats(view(logits, j * t * vocab), j, t, vocab));
        for (int k = 0; k < tensorCount; k++) {
            present[k] = fit(present[k], j * kvh * t * hd);
            pinned.put(LlamaDecoder.presentName(k), decoder.floats(view(present[k], j * kvh * t * hd), j, kvh, t, hd));
        }
        return pinned;
    }

    /** Logits [J, T, V] of the last run. */
    FloatBuffer logits() {
        return logits;
    }

    /** present.* tensor k of the last run, [J, KVH, T, hd]. */
    FloatBuffer present(int k) {
        return present[k];
    }

    private static FloatBuffer fit(FloatBuffer b, int floats) {
        return b.capacity() >= floats ? b
                : ByteBuffer.allocateDirect(floats * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static FloatBuffer view(FloatBuffer b, int floats) {
        return b.duplicate().position(0).limit(floats).slice();
    }

    private void closeTensors() {
        pinned.values().forEach(OnnxTensor::close);
        pinned.clear();
    }

    @Override
    public void close() {
        closeTensors();
    }
}
