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
    /** Cache blocks alive: the batch's current one and the prefill blocks of rows waiting to join. */
    private final List<KvBlock> blocks = new ArrayList<>();
    /** The shared cache the running rows decode over, [B, KVH, S, hd] per layer. */
    private KvBlock current;

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

    private Stats stats = new Stats(0, 0, 0, 0, 0);

    /**
     * Where the batcher's time went, in nanoseconds, and how full its steps were.
     *
     * @param rowSteps tokens decoded by batched steps (live rows summed over steps)
     */
    public record Stats(long prefillNanos, long rebuildNanos, long stepNanos, long steps, long rowSteps) {
        Stats plus(long prefill, long rebuild, long step, long steps, long rows) {
            return new Stats(prefillNanos + prefill, rebuildNanos + rebuild, stepNanos + step, this.steps + steps,
                    rowSteps + rows);
        }

        /** Tokens per second of the batched decode steps alone (no prefill, no cache rebuilds). */
        public double stepTokensPerSecond() {
            return stepNanos == 0 ? 0 : rowSteps / (stepNanos / 1e9);
        }
    }

    public Stats stats() {
        return stats;
    }
    /** Prompts prefilled in one run: larger groups pad more and gain little on a CPU. */
    static final int PREFILL_GROUP = 8;

    public void submit(Request r) {
        waiting.add(r);
    }

    /**
     * Drops the request tagged {@code tag} (compared with equals) wherever it is: waiting, prefilled and about to
     * join, or decoding. It will not come back from {@link #step()}; a decoding row is masked like a finished one
     * and its cache row freed at the next rebuild. Returns whether it was in flight.
     */
    public boolean cancel(Object tag) {
        if (waiting.removeIf(r -> r.tag().equals(tag)) || joining.removeIf(r -> r.tag.equals(tag))) {
            return true;
        }
        for (BatchRow r : rows) {
            if (!r.done && r.tag.equals(tag)) {
                r.done = true;
                return true;
            }
        }
        return false;
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
        long t0 = System.nanoTime();
        admit(finished);
        long t1 = System.nanoTime();
        if (!joining.isEmpty() || deadRows() > rows.size() / 2) {
            rebuild();
        }
        long t2 = System.nanoTime();
        int live = rows.size() - deadRows();
        if (!rows.isEmpty()) {
            decodeStep(finished);
        }
        stats = stats.plus(t1 - t0, t2 - t1, System.nanoTime() - t2, rows.isEmpty() ? 0 : 1, live);
        return finished;
    }

    /** Admits waiting requests into free slots, prefilled in groups of at most {@value #PREFILL_GROUP}. */
    private void admit(List<Finished> finished) {
        int live = rows.size() - deadRows();
        int free = maxBatch - live - joining.size();
        // join in groups: each join costs a cache rebuild, so wait for a quarter of the batch to free up
        if (waiting.isEmpty() || (live > 0 && free < Math.max(1, maxBatch / 4))) {
            return;
        }
        while (!waiting.isEmpty() && free > 0) {
            List<Request> group = new ArrayList<>();
            while (!waiting.isEmpty() && free > 0 && group.size() < PREFILL_GROUP) {
                group.add(waiting.poll());
                free--;
            }
            prefill(group, finished);
        }
    }

    private int deadRows() {
        int n = 0;
        for (BatchRow r : rows) {
            n += r.done ? 1 : 0;
        }
        return n;
    }

    /** Prefills {@code admitted} in one left-padded run; they join the batch at the next rebuild. */
    private void prefill(List<Request> admitted, List<Finished> finished) {
        int j = admitted.size();
        int t = admitted.stream().mapToInt(Request::promptTokens).max().orElseThrow();
        int d = decoder.config().hiddenSize();
        float[] embeds = new float[j * t * d];
        long[] mask = new long[j * t];
        long[] positions = new long[j * t];
        for (int i = 0; i < j; i++) {
            Request r = admitted.get(i);
            int pad = t - r.promptTokens();
            System.arraycopy(r.promptEmbeds(), 0, embeds, (i * t + pad) * d, r.promptTokens() * d);
            for (int k = pad; k < t; k++) {
                mask[i * t + k] = 1L;
                positions[i * t + k] = k - pad;
            }
        }
        long t0 = System.nanoTime();
        OrtSession.Result result = decoder.prefillBatch(embeds, j, t, mask, positions);
        long prefill = System.nanoTime() - t0;
        float[] logits = copy((OnnxTensor) result.get("logits").orElseThrow());
        int vocab = logits.length / (j * t);
        KvBlock block = new KvBlock(presentOf(result), t, result);
        for (int i = 0; i < j; i++) {
            Request r = admitted.get(i);
            BatchRow row = new BatchRow(r.tag(), r.params());
            row.prefillNanos = prefill;
            row.start = System.nanoTime();
            row.cacheLength = r.promptTokens();
            row.block = block;
            row.index = i;
            int last = (i * t + t - 1) * vocab;
            if (row.accept(Arrays.copyOfRange(logits, last, last + vocab), eos, context)) {
                finished.add(row.finish());
            } else {
                joining.add(row);
            }
        }
        blocks.add(block);
    }

    private Map<String, OnnxTensor> presentOf(OrtSession.Result result) {
        Map<String, OnnxTensor> out = new HashMap<>();
        decoder.presentToPast().forEach((present, pastName) ->
                out.put(pastName, (OnnxTensor) result.get(present).orElseThrow()));
        return out;
    }

    /** Copies every live row's cache, right-aligned, into a new left-padded batch layout. */
    private void rebuild() {
        List<BatchRow> live = new ArrayList<>();
        for (BatchRow r : rows) {
            if (!r.done) {
                live.add(r);
            }
        }
        if (live.isEmpty() && joining.isEmpty()) {  // every row finished and nobody waits: drop the cache
            rows.clear();
            closeBlocks();
            current = null;
            return;
        }
        if (live.isEmpty() && adoptable()) {
            adoptPrefillBlock();
            return;
        }
        live.addAll(joining);
        int s = live.stream().mapToInt(r -> r.cacheLength).max().orElse(0);
        int kvh = decoder.config().numKeyValueHeads();
        int hd = decoder.config().headDim();
        Map<String, OnnxTensor> next = new HashMap<>();
        for (String name : decoder.presentToPast().values()) {
            float[] dst = new float[live.size() * kvh * s * hd];
            Map<KvBlock, float[]> sources = new HashMap<>();
            for (int b = 0; b < live.size(); b++) {
                BatchRow r = live.get(b);
                float[] src = sources.computeIfAbsent(r.block, k -> copy(k.tensors().get(name)));
                int srcLen = r.block.length();
                for (int h = 0; h < kvh; h++) {
                    int from = ((r.index * kvh + h) * srcLen + (srcLen - r.cacheLength)) * hd;
                    int to = ((b * kvh + h) * s + (s - r.cacheLength)) * hd;
                    System.arraycopy(src, from, dst, to, r.cacheLength * hd);
                }
            }
            next.put(name, decoder.pastTensor(dst, live.size(), s));
        }
        joining.clear();
        closeBlocks();
        KvBlock batch = new KvBlock(next, s, () -> next.values().forEach(OnnxTensor::close));
        blocks.add(batch);
        rows.clear();
        rows.addAll(live);
        for (int b = 0; b < rows.size(); b++) {
            rows.get(b).index = b;
            rows.get(b).block = batch;
        }
        current = batch;
    }

    /** The joining rows are exactly the rows of one prefill block, in order: it can serve as the batch as is. */
    private boolean adoptable() {
        KvBlock block = joining.get(0).block;
        for (int i = 0; i < joining.size(); i++) {
            if (joining.get(i).block != block || joining.get(i).index != i) {
                return false;
            }
        }
        return block.tensors().values().iterator().next().getInfo().getShape()[0] == joining.size();
    }

    private void adoptPrefillBlock() {
        KvBlock block = joining.get(0).block;
        rows.clear();
        rows.addAll(joining);
        joining.clear();
        blocks.remove(block);
        closeBlocks();
        blocks.add(block);
        current = block;
    }

    /** Feeds every row's last token; finished rows stay (masked, ignored) until the next rebuild drops them. */
    private void decodeStep(List<Finished> finished) {
        int b = rows.size();
        int length = current.length();
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
        OrtSession.Result result = decoder.stepBatch(embeds, b, mask, positions, current.tensors());
        float[] logits = copy((OnnxTensor) result.get("logits").orElseThrow());
        int vocab = logits.length / b;
        closeBlocks();
        current = new KvBlock(presentOf(result), length + 1, result);
        blocks.add(current);
        for (BatchRow r : rows) {
            r.block = current;
            if (r.done) {
                continue;
            }
            r.cacheLength++;
            if (r.accept(Arrays.copyOfRange(logits, r.index * vocab, (r.index + 1) * vocab), eos, context)) {
                finished.add(r.finish());
            }
        }
    }

    private static float[] copy(OnnxTensor t) {
        FloatBuffer fb = t.getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    /** Releases every cache block except those that joining rows still need. */
    private void closeBlocks() {
        List<KvBlock> keep = new ArrayList<>();
        for (KvBlock k : blocks) {
            if (joining.stream().anyMatch(r -> r.block == k)) {
                keep.add(k);
            } else {
                k.close();
            }
        }
        blocks.clear();
        blocks.addAll(keep);
    }

    @Override
    public void close() {
        joining.clear();
        closeBlocks();
    }
}
