package io.llavastream.model.decode;

import io.llavastream.model.text.TokenEmbedder;

/**
 * The autoregressive loop: prefill the prompt embeddings, then embed each picked token and run one decoder step,
 * until EOS, the token limit or the end of the context.
 */
public final class Generator {
    private final LlamaDecoder decoder;
    private final TokenEmbedder embedder;
    private final long eosTokenId;
    private final int contextLength;

    public Generator(LlamaDecoder decoder, TokenEmbedder embedder) {
        this.decoder = decoder;
        this.embedder = embedder;
        this.eosTokenId = decoder.config().eosTokenId();
        this.contextLength = decoder.config().maxPositionEmbeddings();
    }

    /** Generates after a prompt given as embeddings [T, D] (already merged with the image features). */
    public Generation generate(float[] promptEmbeds, int promptTokens, SamplingParams params) {
        return generate(promptEmbeds, promptTokens, params, 0);
    }

    /** As above, with LoRA adapter {@code adapter} of the decoder's adapters (0 = the base model). */
    public Generation generate(float[] promptEmbeds, int promptTokens, SamplingParams params, int adapter) {
        Sampler sampler = new Sampler(params);
        long[] out = new long[params.maxNewTokens()];
        float[] gaps = new float[params.maxNewTokens()];
        try (KvCache cache = decoder.newCache()) {
            long t0 = System.nanoTime();
            float[] logits = decoder.forward(promptEmbeds, promptTokens, cache, adapter);
            long prefill = System.nanoTime() - t0;
            int n = 0;
            FinishReason reason;
            while (true) {
                gaps[n] = Sampler.topTwoGap(logits);
                long next = sampler.next(logits);
                out[n++] = next;
                if (next == eosTokenId) {
                    reason = FinishReason.EOS;
                    break;
                }
                if (n == params.maxNewTokens()) {
                    reason = FinishReason.LENGTH;
                    break;
                }
                if (cache.length() >= contextLength) {
                    reason = FinishReason.CONTEXT;
                    break;
                }
                logits = decoder.forward(embedder.embed(new long[] {next}), 1, cache, adapter);
            }
            long decode = System.nanoTime() - t0 - prefill;
            return new Generation(java.util.Arrays.copyOf(out, n), java.util.Arrays.copyOf(gaps, n), reason, prefill,
                    decode);
        }
    }
}
