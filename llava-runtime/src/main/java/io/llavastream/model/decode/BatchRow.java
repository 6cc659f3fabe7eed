package io.llavastream.model.decode;

/** One sequence in a {@link ContinuousBatcher}: its sampler, generated tokens and row in the shared cache. */
final class BatchRow {
    final Object tag;
    final SamplingParams params;
    final Sampler sampler;
    final long[] out;
    final float[] gaps;
    int generated;
    /** Tokens in the KV cache for this row (prompt + generated - 1: the last token is not fed yet). */
    int cacheLength;
    /** Row in the batch's {@link KvSlots}. */
    int index;
    boolean done;
    /** The LoRA adapter this row decodes with (0 = the base model). */
    int adapter;
    FinishReason reason;
    long prefillNanos;
    long start;

    BatchRow(Object tag, SamplingParams params) {
        this.tag = tag;
        this.params = params;
        this.sampler = new Sampler(params);
        this.out = new long[params.maxNewTokens()];
        this.gaps = new float[params.maxNewTokens()];
    }

    long lastToken() {
        return out[generated - 1];
    }

    /** Picks the next token from {@code logits}; true when the sequence is finished. */
    boolean accept(float[] logits, long eos, int context) {
        gaps[generated] = Sampler.topTwoGap(logits);
        long next = sampler.next(logits);
        out[generated++] = next;
        if (next == eos) {
            reason = FinishReason.EOS;
        } else if (generated == params.maxNewTokens()) {
            reason = FinishReason.LENGTH;
        } else if (cacheLength >= context) {
            reason = FinishReason.CONTEXT;
        }
        done = reason != null;
        return done;
    }

    ContinuousBatcher.Finished finish() {
        Generation g = new Generation(java.util.Arrays.copyOf(out, generated), java.util.Arrays.copyOf(gaps, generated),
                reason, prefillNanos, System.nanoTime() - start);
        return new ContinuousBatcher.Finished(tag, g);
    }
}
