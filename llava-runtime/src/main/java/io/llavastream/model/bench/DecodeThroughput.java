package io.llavastream.model.bench;

import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.LlamaDecoder;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.model.text.TokenEmbedder;
import java.util.List;

/**
 * Decode throughput with continuous batching at a given concurrency: {@code requests} prompts are queued at once
 * and the batcher keeps up to {@code concurrency} of them decoding; tokens/s counts every generated token,
 * prefill included in the wall time.
 */
public final class DecodeThroughput {
    /** Result of one run. */
    public record Result(int concurrency, int requests, long tokens, double seconds, ContinuousBatcher.Stats stats) {
        public double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    private DecodeThroughput() {
    }

    /** Runs {@code requests} requests cycling through {@code prompts} ([T,D] embeddings with their lengths). */
    public static Result run(LlamaDecoder decoder, TokenEmbedder embedder, List<float[]> prompts,
                             List<Integer> lengths, int concurrency, int requests, int maxNewTokens) {
        return run(decoder, embedder, prompts, lengths, concurrency, requests, maxNewTokens, i -> 0);
    }

    /** As above, request i decoding with LoRA adapter {@code adapterOf(i)} of the decoder's (0 = the base model). */
    public static Result run(LlamaDecoder decoder, TokenEmbedder embedder, List<float[]> prompts,
                             List<Integer> lengths, int concurrency, int requests, int maxNewTokens,
                             java.util.function.IntUnaryOperator adapterOf) {
        long tokens = 0;
        long t0 = System.nanoTime();
        ContinuousBatcher.Stats stats;
        try (ContinuousBatcher batcher = new ContinuousBatcher(decoder, embedder, concurrency)) {
            for (int i = 0; i < requests; i++) {
                int k = i % prompts.size();
                batcher.submit(new ContinuousBatcher.Request(i, prompts.get(k), lengths.get(k),
                        SamplingParams.greedy(maxNewTokens), adapterOf.applyAsInt(i)));
            }
            while (batcher.inFlight() > 0) {
                for (ContinuousBatcher.Finished f : batcher.step()) {
                    tokens += f.generation().tokenIds().length;
                }
            }
            stats = batcher.stats();
        }
        return new Result(concurrency, requests, tokens, (System.nanoTime() - t0) / 1e9, stats);
    }
}
