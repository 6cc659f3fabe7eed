package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.function.IntFunction;

/**
 * The batch's KV cache, pre-allocated: for each layer's key and value one direct, native-order buffer
 * [maxRows, KVH, capacity, hd]. Row b's slot p holds the key (post-RoPE) or value of its token at position p, so a
 * row keeps its own positions and nothing is realigned. The rows in use are always the prefix 0..B-1: the graph
 * reads the first B rows as a zero-copy tensor [B, KVH, capacity, hd] over the buffer.
 *
 * <p>What copies and when: a joining row's prefill keys are copied into its slot once; a step writes each row's
 * new key and value (B x KVH x hd floats per layer); a leaving row is replaced by the last row (one row copy); the
 * capacity grows in buckets of {@value #BUCKET} positions, with one copy of the live rows per growth.
 */
final class KvSlots implements AutoCloseable {
    /** Capacity grows in multiples of this many positions (capped at the context length). */
    static final int BUCKET = 32;

    private final int maxRows;
    private final int kvh;
    private final int hd;
    private final int context;
    private final FloatBuffer[] data;
    private int capacity;
    /** The tensors over the first {@link #tensorRows} rows, recreated only when B or the capacity changes. */
    private final OnnxTensor[] tensors;
    private int tensorRows = -1;
    private int tensorCapacity = -1;

    /** {@code tensorCount} buffers (2 per layer) of {@code maxRows} rows; no capacity until {@link #ensure}. */
    KvSlots(int tensorCount, int maxRows, int kvh, int hd, int context) {
        this.maxRows = maxRows;
        this.kvh = kvh;
        this.hd = hd;
        this.context = context;
        this.data = new FloatBuffer[tensorCount];
        this.tensors = new OnnxTensor[tensorCount];
    }

    /** Positions each row can hold. */
    int capacity() {
        return capacity;
    }

    /**
     * Makes room for positions 0..needed-1 in every row, growing the capacity to the next bucket; the first
     * {@code liveRows} rows are copied into the new buffers. Returns whether it grew.
     */
    boolean ensure(int needed, int liveRows) {
        if (needed <= capacity) {
            return false;
        }
        if (needed > context) {
            throw new IllegalArgumentException("a row needs " + needed + " cache positions; the context is "
                    + context);
        }
        int grown = Math.min(context, (needed + BUCKET - 1) / BUCKET * BUCKET);
        for (int t = 0; t < data.length; t++) {
            FloatBuffer next = ByteBuffer.allocateDirect(maxRows * kvh * grown * hd * Float.BYTES)
                    .order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int b = 0; b < liveRows && capacity > 0; b++) {
                for (int h = 0; h < kvh; h++) {
                    next.put(((b * kvh + h) * grown) * hd, data[t], ((b * kvh + h) * capacity) * hd, capacity * hd);
                }
            }
            data[t] = next;
        }
        capacity = grown;
        return true;
    }

    /**
     * Copies {@code count} positions of row {@code srcRow} of {@code src} ([rows, KVH, srcLength, hd], starting at
     * position {@code srcFrom}) into row {@code dstRow} of tensor {@code t}, starting at position {@code dstFrom}.
     */
    void copyIn(int t, FloatBuffer src, int srcRow, int srcLength, int srcFrom, int dstRow, int dstFrom, int count) {
        if (dstFrom + count > capacity) {
            throw new IllegalStateException("positions " + dstFrom + ".." + (dstFrom + count - 1)
                    + " exceed the cache capacity " + capacity);
        }
        for (int h = 0; h < kvh; h++) {
            data[t].put(((dstRow * kvh + h) * capacity + dstFrom) * hd, src,
                    ((srcRow * kvh + h) * srcLength + srcFrom) * hd, count * hd);
        }
    }

    /** Moves the first {@code length} positions of row {@code from} into row {@code to}, in every tensor. */
    void moveRow(int from, int to, int length) {
        for (int t = 0; t < data.length; t++) {
            copyIn(t, data[t].duplicate(), from, capacity, 0, to, 0, length);
        }
    }

    /** Tensor {@code t} over the first {@code rows} rows, [rows, KVH, capacity, hd], named as the graph wants. */
    OnnxTensor tensor(int t, int rows, IntFunction<OnnxTensor> create) {
        if (rows != tensorRows || capacity != tensorCapacity) {
            closeTensors();
            tensorRows = rows;
            tensorCapacity = capacity;
        }
        if (tensors[t] == null) {
            tensors[t] = create.apply(t);
        }
        return tensors[t];
    }

    /** A view of the first {@code rows} rows of tensor {@code t}, for a tensor over it. */
    FloatBuffer rows(int t, int rows) {
        return data[t].duplicate().position(0).limit(rows * kvh * capacity * hd).slice();
    }

    /** One float, for tests: tensor t, row, head, position, dim. */
    float at(int t, int row, int head, int position, int dim) {
        return data[t].get(((row * kvh + head) * capacity + position) * hd + dim);
    }

    private void closeTensors() {
        for (int t = 0; t < tensors.length; t++) {
            if (tensors[t] != null) {
                tensors[t].close();
                tensors[t] = null;
            }
        }
    }

    @Override
    public void close() {
        closeTensors();
    }
}
