package io.llavastream.model.decode;

/**
 * A generated answer.
 *
 * @param tokenIds     generated ids, EOS included when produced
 * @param topTwoGaps   per step, the gap between the two largest logits (near 0 = near tie)
 * @param prefillNanos time of the prompt's forward pass
 * @param decodeNanos  time of all later steps together
 */
public record Generation(long[] tokenIds, float[] topTwoGaps, FinishReason finishReason, long prefillNanos,
                         long decodeNanos) {
}
