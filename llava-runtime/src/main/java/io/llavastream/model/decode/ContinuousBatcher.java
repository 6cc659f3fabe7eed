package io.llavastream.model.decode;

import ai.onnxruntime.OrtSession;
import io.llavastream.model.text.TokenEmbedder;
import java.nio.FloatBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Continuous batching: requests join the running batch at the next step and finished ones leave, so the decoder
 * always runs as many sequences as are in flight (up to {@code maxBatch}).
 *
 * <p>Each step: 1. every waiting request that fits is prefilled, all of them in one right-padded run of the
 * merged decoder (outputs pinned in {@link PrefillBuffers}), and its keys are copied once into a free row of the
 * batch's {@link KvSlots} cache; 2. one
 * batched decode step ({@link SlotStep}) runs every live row one token at its own position and writes the new
 * keys into the cache in place; 3. finished rows leave, the last row moving into the freed row, so the live rows
 * stay the prefix the graph reads. Nothing is realigned or rebuilt. Not thread-safe: one thread drives
 * {@link #step()}.
 */
public final class ContinuousBatcher implements AutoCloseable {
    /**
     * A prompt to decode; {@code tag} comes back with its result. {@code adapter} is the LoRA adapter its row decodes
     * with (the decoder's {@link io.llavastream.model.adapter.AdapterSet#index}; 0 = the base model): rows of
     * different adapters share every prefill and step.
     */
    public record Request(Object tag, float[] promptEmbeds, int promptTokens, SamplingParams params, int adapter) {
        /** A request on the base model. */
        public Request(Object tag, float[] promptEmbeds, int promptTokens, SamplingParams params) {
            this(tag, promptEmbeds, promptTokens, params, 0);
        }
    }

    /** A finished request. */
    public record Finished(Object tag, Generation generation) {
    }

    /**
     * Told every token as it is sampled, on the thread that calls {@link #step()}, before that step returns: the
     * decode stage's live token preview. It must be cheap and must not call back into the batcher.
     */
    public interface TokenListener {
        /** Listens to nothing. */
        TokenListener NONE = (tag, tokenId, last) -> {
        };

        /**
         * Request {@code tag} generated {@code tokenId}; {@code last} when it finishes the request (which then
         * comes back from this step, its generation ending with this token).
         */
        void token(Object tag, long tokenId, boolean last);
    }

    /**
     * Where the batcher's time went, in nanoseconds, and how full its steps were.
     *
     * @param prefillNanos   batched prefill runs
     * @param cacheCopyNanos copies into and within the cache: a joining row's prefill keys, a leaving row's
     *                       replacement, capacity growth (not the per-step write of the new keys, part of a step)
     * @param stepNanos      batched decode steps, with their cache writes and sampling
     * @param rowSteps       tokens decoded by batched steps (live rows summed over steps)
     * @param prefillRuns    prefill graph runs
     * @param prefilled      prompts prefilled
     */
    public record Stats(long prefillNanos, long cacheCopyNanos, long stepNanos, long steps, long rowSteps,
                        long prefillRuns, long prefilled) {
        /** Tokens per second of the batched decode steps alone (no prefill, no cache copies). */
        public double stepTokensPerSecond() {
            return stepNanos == 0 ? 0 : rowSteps / (stepNanos / 1e9);
        }
    }

    private final LlamaDecoder decoder;
    private final TokenEmbedder embedder;
    private final int maxBatch;
    private final long eos;
    private final int context;
    private final int hidden;
    private final ArrayDeque<Request> waiting = new ArrayDeque<>();
    /** The live rows; row i's keys are in row i of {@link #cache}. */
    private final List<BatchRow> rows = new ArrayList<>();
    private final KvSlots cache;
    private final SlotStep stepper;
    private final PrefillBuffers prefillOut;
    private TokenListener listener = TokenListener.NONE;
    private long prefillNanos;
    private long copyNanos;
    private long stepNanos;
    private long steps;
    private long rowSteps;
    private long prefillRuns;
    private long prefilled;

    public ContinuousBatcher(LlamaDecoder decoder, TokenEmbedder embedder, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        }
        this.decoder = decoder;
        this.embedder = embedder;
        this.maxBatch = maxBatch;
        this.eos = decoder.config().eosTokenId();
        this.context = decoder.config().maxPositionEmbeddings();
        this.hidden = decoder.config().hiddenSize();
        this.cache = new KvSlots(2 * decoder.config().numLayers(), maxBatch, decoder.config().numKeyValueHeads(),
                decoder.config().headDim(), context);
        this.stepper = new SlotStep(decoder, maxBatch);
        this.prefillOut = new PrefillBuffers(decoder);
    }

    /** Who is told each token as it is sampled; {@link TokenListener#NONE} by default. */
    public void listener(TokenListener l) {
        this.listener = l == null ? TokenListener.NONE : l;
    }

    public Stats stats() {
        return new Stats(prefillNanos, copyNanos, stepNanos, steps, rowSteps, prefillRuns, prefilled);
    }

    /**
     * Queues a request; it joins at the next step with a free row. A prompt longer than the context, or with fewer
     * embeddings than it claims tokens, is refused here, before it can fail a batched run.
     */
    public void submit(Request r) {
        if (r.promptTokens() < 1 || r.promptTokens() > context) {
            throw new IllegalArgumentException("prompt of " + r.promptTokens() + " tokens; expected 1.." + context
                    + " (the context length)");
        }
        if (r.promptEmbeds().length < (long) r.promptTokens() * hidden) {
            throw new IllegalArgumentException("prompt embeddings hold " + r.promptEmbeds().length + " floats; "
                    + r.promptTokens() + " tokens x " + hidden + " need " + r.promptTokens() * hidden);
        }
        if (r.adapter() < 0 || r.adapter() > decoder.adapters().size()) {
            throw new IllegalArgumentException("adapter index " + r.adapter() + "; expected 0.."
                    + decoder.adapters().size() + " (0 = the base model; adapters loaded: "
                    + decoder.adapters().names() + ")");
        }
        waiting.add(r);
    }

    /**
     * Drops the request tagged {@code tag} (compared with equals), waiting or decoding; its row is freed at once.
     * It will not come back from {@link #step()}. Returns whether it was in flight.
     */
    public boolean cancel(Object tag) {
        if (waiting.removeIf(r -> r.tag().equals(tag))) {
            return true;
        }
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).tag.equals(tag)) {
                long t0 = System.nanoTime();
                leave(i);
                copyNanos += System.nanoTime() - t0;
                return true;
            }
        }
        return false;
    }

    /** Requests running or waiting. */
    public int inFlight() {
        return waiting.size() + rows.size();
    }

    /** The rows decoding now (for tests). */
    int liveRows() {
        return rows.size();
    }

    /** The cache's capacity in positions (for tests). */
    int cacheCapacity() {
        return cache.capacity();
    }

    /**
     * One scheduler iteration: 1. admit waiting requests (one batched prefill), 2. one batched decode step,
     * 3. finished rows leave. Returns the requests that finished in it.
     */
    public List<Finished> step() {
        List<Finished> finished = new ArrayList<>();
        admit(finished);
        if (!rows.isEmpty()) {
            decodeStep(finished);
        }
        return finished;
    }

    /** Prefills every waiting request that has a free row, in one run, and copies its keys into that row. */
    private void admit(List<Finished> finished) {
        int j = Math.min(waiting.size(), maxBatch - rows.size());
        if (j == 0) {
            return;
        }
        List<Request> group = new ArrayList<>(j);
        for (int i = 0; i < j; i++) {
            group.add(waiting.poll());
        }
        int t = group.stream().mapToInt(Request::promptTokens).max().orElseThrow();
        float[] embeds = new float[j * t * hidden];
        long[] mask = new long[j * t];
        long[] positions = new long[j * t];
        int[] adapters = new int[j];
        for (int i = 0; i < j; i++) {
            Request r = group.get(i);
            adapters[i] = r.adapter();
            System.arraycopy(r.promptEmbeds(), 0, embeds, i * t * hidden, r.promptTokens() * hidden);
            for (int k = 0; k < t; k++) {
                mask[i * t + k] = k < r.promptTokens() ? 1L : 0L;
                positions[i * t + k] = k;  // padding continues the count: it sees the row's tokens, never NaN
            }
        }
        long t0 = System.nanoTime();
        try (OrtSession.Result result = decoder.prefillBatch(embeds, j, t, mask, positions,
                prefillOut.outputs(j, t), adapters)) {
            long prefill = System.nanoTime() - t0;
            prefillNanos += prefill;
            prefillRuns++;
            prefilled += j;
            FloatBuffer logits = prefillOut.logits();
            int vocab = decoder.config().vocabSize();
            long c0 = System.nanoTime();
            for (int i = 0; i < j; i++) {
                Request r = group.get(i);
                BatchRow row = new BatchRow(r.tag(), r.params());
                row.adapter = r.adapter();
                row.prefillNanos = prefill;
                row.start = System.nanoTime();
                row.cacheLength = r.promptTokens();
                float[] last = new float[vocab];
                logits.get((i * t + r.promptTokens() - 1) * vocab, last);
                boolean done = row.accept(last, eos, context);
                listener.token(row.tag, row.lastToken(), done);
                if (done) {
                    finished.add(row.finish());
                } else {
                    join(row, i, t);
                }
            }
            copyNanos += System.nanoTime() - c0;
        }
    }

    /** Copies row {@code i} of the prefill's keys and values into the next free cache row. */
    private void join(BatchRow row, int i, int t) {
        int slot = rows.size();
        cache.ensure(row.cacheLength + 1, slot);
        for (int k = 0; k < 2 * decoder.config().numLayers(); k++) {
            cache.copyIn(k, prefillOut.present(k), i, t, 0, slot, 0, row.cacheLength);
        }
        row.index = slot;
        rows.add(row);
    }

    /** Row {@code i} leaves: the last row moves into its cache row, so the live rows stay a prefix. */
    private void leave(int i) {
        int last = rows.size() - 1;
        if (i != last) {
            BatchRow moved = rows.get(last);
            cache.moveRow(last, i, moved.cacheLength);
            moved.index = i;
            rows.set(i, moved);
        }
        rows.remove(last);
    }

    /** Feeds every row's last token at its own position; finished rows leave afterwards. */
    private void decodeStep(List<Finished> finished) {
        int b = rows.size();
        long t0 = System.nanoTime();
        int needed = 0;
        for (BatchRow r : rows) {
            needed = Math.max(needed, r.cacheLength + 1);
        }
        cache.ensure(needed, b);
        long t1 = System.nanoTime();
        long[] tokens = new long[b];
        int[] lengths = new int[b];
        int[] adapters = new int[b];
        for (int i = 0; i < b; i++) {
            tokens[i] = rows.get(i).lastToken();
            lengths[i] = rows.get(i).cacheLength;
            adapters[i] = rows.get(i).adapter;
        }
        float[] logits = stepper.run(cache, embedder.embed(tokens), lengths, adapters, b);
        int vocab = logits.length / b;
        boolean anyDone = false;
        for (int i = 0; i < b; i++) {
            BatchRow r = rows.get(i);
            r.cacheLength++;
            boolean done = r.accept(Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab), eos, context);
            listener.token(r.tag, r.lastToken(), done);
            if (done) {
                finished.add(r.finish());
                anyDone = true;
            }
        }
        long t2 = System.nanoTime();
        for (int i = b - 1; anyDone && i >= 0; i--) {  // from the end: the row moved in is never one to drop
            if (rows.get(i).done) {
                leave(i);
            }
        }
        long t3 = System.nanoTime();
        steps++;
        rowSteps += b;
        stepNanos += t2 - t1;
        copyNanos += (t1 - t0) + (t3 - t2);
    }

    @Override
    public void close() {
        stepper.close();
        prefillOut.close();
        cache.close();
        rows.clear();
        waiting.clear();
    }
}
