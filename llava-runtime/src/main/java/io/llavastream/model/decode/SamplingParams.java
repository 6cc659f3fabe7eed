package io.llavastream.model.decode;

/**
 * How to pick each next token.
 *
 * @param maxNewTokens stop after this many generated tokens (EOS included)
 * @param temperature  0 for greedy (argmax); otherwise logits are divided by it before the softmax
 * @param topP         nucleus sampling: keep the smallest set of tokens whose probability sums to at least this
 * @param seed         seed of the sampling random stream, so a sampled answer can be replayed
 */
public record SamplingParams(int maxNewTokens, float temperature, float topP, long seed) {
    public SamplingParams {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a finite number >= 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0f, 1f, 0L);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
