package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import java.util.Map;

/**
 * A left-padded KV cache for a group of rows: past tensors [B, KVH, length, hd] by past_key_values name, and
 * what owns them (a run result, or tensors built from arrays).
 */
record KvBlock(Map<String, OnnxTensor> tensors, int length, AutoCloseable owner) {
    void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot release KV cache tensors", e);
        }
    }
}
