package io.llavastream.model;

/**
 * Where the time of one answer went, in nanoseconds per stage.
 *
 * @param mergeNanos tokenize, embed and scatter the image features into the prompt
 * @param decodeNanos all generation steps after the prefill together
 */
public record StageTimings(long preprocessNanos, long visionNanos, long projectorNanos, long mergeNanos,
                           long prefillNanos, long decodeNanos, int generatedTokens) {

    public double decodeMillisPerToken() {
        return generatedTokens <= 1 ? 0 : decodeNanos / 1e6 / (generatedTokens - 1);
    }
}
