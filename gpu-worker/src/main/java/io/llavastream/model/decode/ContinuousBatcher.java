package io.llavastream.model.decode;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.text.TokenEmbedder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Continuous batching: requests join the running batch at the next step and finished ones leave, so the decoder
 * always runs as many sequences as are in flight (up to {@code maxBatch}).
 *
 * <p>Each step runs one token for every row over a shared, left-padded KV cache [B, KVH, S, hd]; the attention
 * mask zeroes the padding and every row keeps its own positions. While the membership is unchanged, the step's
 * {@code present.*} outputs are fed back as the next {@code past_key_values.*} without a copy. When requests join
 * (after their own prefill) or leave, the cache is rebuilt once: live rows are copied, right-aligned, into a new
 * padded layout. Not thread-safe: one thread drives {@link #step()}.
 */
public final class ContinuousBatcher implements AutoCloseable {
    /** A prompt to decode; {@code tag} comes back with its result. */
    public record Request(Object tag, float[] promptEmbeds, int promptTokens, SamplingParams params) {
    }

    /** A finished request. */
    public record Finished(Object tag, Generation generation) {
    }

    private final LlamaDecoder decoder;
    private final TokenEmbedder embedder;
    private final int maxBatch;
    private final long eos;
    private final int context;
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    private final List<BatchRow> rows = new ArrayList<>();
    private final List<BatchRow> joining = new ArrayList<>();
    private Map<String, OnnxTensor> past = Map.of();
    private AutoCloseable pastOwner = () -> { };
    /** S: the time length of the shared cache. */
    private int length;
    private boolean dirty;

    public ContinuousBatcher(LlamaDecoder decoder, TokenEmbedder embedder, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        }
        this.decoder = decoder;
        this.embedder = embedder;
        this.maxBatch = maxBatch;
        this.eos = decoder.config().eosTokenId();
        this.context = decoder.config().maxPositionEmbeddings();
    }

    public void submit(Request r) {
        waiting.add(r);
    }

    /** Requests running or waiting. */
    public int inFlight() {
        return waiting.size() + joining.size() + (int) rows.stream().filter(r -> !r.done).count();
    }

    /**
     * One scheduler iteration: 1. admit waiting requests (prefill each), 2. rebuild the shared cache if the
     * membership changed, 3. one batched decode step. Returns the requests that finished in it.
     */
    public List<Finished> step() {
        List<Finished> finished = new ArrayList<>();
        admit(finished);
        if (dirty || !joining.isEmpty()) {
            rebuild();
        }
        if (!rows.isEmpty()) {
            decodeStep(finished);
        }
        return finished;
    }

    private void admit(List<Finished> finished) {
        while (!waiting.isEmpty() && rows.size() + joining.size() < maxBatch) {
            Request r = waiting.poll();
            BatchRow row = new BatchRow(r.tag(), r.params());
            long t0 = System.nanoTime();
            row.cache = decoder.newCache();
            float[] logits = decoder.forward(r.promptEmbeds(), r.promptTokens(), row.cache);
            row.prefillNanos = System.nanoTime() - t0;
            row.start = System.nanoTime();
            row.cacheLength = r.promptTokens();
            if (row.accept(logits, eos, context)) {
                row.cache.close();
                finished.add(row.finish());
            } else {
                joining.add(row);
            }
        }
    }

    /** Copies every live row's cache, right-aligned, into a new left-padded batch layout. */
    private void rebuild() {
        List<BatchRow> live = new ArrayList<>();
        for (BatchRow r : rows) {
            if (!r.done) {
                live.add(r);
            }
        }
        live.addAll(joining);
        int s = live.stream().mapToInt(r -> r.cacheLength).max().orElse(0);
        int kvh = decoder.config().numKeyValueHeads();
        int hd = decoder.config().headDim();
        Map<String, OnnxTensor> next = new HashMap<>();
        for (String name : decoder.presentToPast().values()) {
            float[] dst = new float[live.size() * kvh * s * hd];
            float[] batchSrc = past.containsKey(name) ? copy(past.get(name)) : null;
            for (int b = 0; b < live.size(); b++) {
                BatchRow r = live.get(b);
                float[] src = r.cache != null ? copy(r.cache.past().get(name)) : batchSrc;
                int srcRow = r.cache != null ? 0 : r.index;
                int srcLen = r.cache != null ? r.cacheLength : length;
                for (int h = 0; h < kvh; h++) {
                    int from = ((srcRow * kvh + h) * srcLen + (srcLen - r.cacheLength)) * hd;
                    int to = ((b * kvh + h) * s + (s - r.cacheLength)) * hd;
                    System.arraycopy(src, from, dst, to, r.cacheLength * hd);
                }
            }
            next.put(name, decoder.pastTensor(dst, live.size(), s));
        }
        closePast();
        for (BatchRow r : joining) {
            r.cache.close();
            r.cache = null;
        }
        joining.clear();
        rows.clear();
        rows.addAll(live);
        for (int b = 0; b < rows.size(); b++) {
            rows.get(b).index = b;
        }
        past = next;
        pastOwner = () -> next.values().forEach(OnnxTensor::close);
        length = s;
        dirty = false;
    }

    /** Feeds every row's last token; finished rows stay (masked, ignored) until the next rebuild drops them. */
    private void decodeStep(List<Finished> finished) {
        int b = rows.size();
        int d = decoder.config().hiddenSize();
        float[] embeds = new float[b * d];
        long[] mask = new long[b * (length + 1)];
        long[] positions = new long[b];
        for (BatchRow r : rows) {
            System.arraycopy(embedder.embed(new long[] {r.lastToken()}), 0, embeds, r.index * d, d);
            int row = r.index * (length + 1);
            Arrays.fill(mask, row + length - r.cacheLength, row + length + 1, r.done ? 0L : 1L);
            mask[row + length] = 1L;  // a finished row still needs one visible key, or its softmax is empty
            positions[r.index] = r.cacheLength;
        }
        OrtSession.Result result = decoder.stepBatch(embeds, b, mask, positions, past);
        float[] logits = copy((OnnxTensor) result.get("logits").orElseThrow());
        int vocab = logits.length / b;
        Map<String, OnnxTensor> next = new HashMap<>();
        decoder.presentToPast().forEach((present, pastName) ->
                next.put(pastName, (OnnxTensor) result.get(present).orElseThrow()));
        closePast();
        past = next;
        pastOwner = result;
        length++;
        for (BatchRow r : rows) {
            if (r.done) {
                continue;
            }
            r.cacheLength++;
            if (r.accept(Arrays.copyOfRange(logits, r.index * vocab, (r.index + 1) * vocab), eos, context)) {
                finished.add(r.finish());
                dirty = true;
            }
        }
        if (!waiting.isEmpty() && rows.size() < maxBatch) {
            dirty = true;
        }
    }

    private static float[] copy(OnnxTensor t) {
        FloatBuffer fb = t.getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    private void closePast() {
        try {
            pastOwner.close();
        } catch (Exception e) {
            throw new IllegalStateException("cannot release the batch KV cache", e);
        }
        pastOwner = () -> { };
        past = Map.of();
    }

    @Override
    public void close() {
        closePast();
        joining.forEach(r -> r.cache.close());
    }
}
