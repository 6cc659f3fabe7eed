package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.util.HashMap;
import java.util.Map;

/**
 * One sequence's KV cache: per layer, key and value tensors [1, KVH, S, hd] that ONNX Runtime produced as
 * {@code present.*} and that go back in as {@code past_key_values.*} without a copy. The cache owns the run result
 * holding them and closes it when the next step replaces it.
 */
public final class KvCache implements AutoCloseable {
    private final Map<String, OnnxTensor> past = new HashMap<>();
    private AutoCloseable owner;
    private int length;

    KvCache(Map<String, OnnxTensor> empty) {
        past.putAll(empty);
        this.owner = () -> empty.values().forEach(OnnxTensor::close);
    }

    /** Tokens the cache holds (S). */
    public int length() {
        return length;
    }

    Map<String, OnnxTensor> past() {
        return past;
    }

    /** Takes the {@code present.*} outputs of {@code result} as the new past, after {@code added} more tokens. */
    void advance(OrtSession.Result result, Map<String, String> presentToPast, int added) {
        for (Map.Entry<String, String> e : presentToPast.entrySet()) {
            past.put(e.getValue(), (OnnxTensor) result.get(e.getKey()).orElseThrow());
        }
        closeOwner();
        owner = result;
        length += added;
    }

    private void closeOwner() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot release KV cache tensors", e);
        }
    }

    @Override
    public void close() {
        closeOwner();
        owner = () -> { };
        past.clear();
    }
}
