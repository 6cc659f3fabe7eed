package io.llavastream.model;

import io.llavastream.model.decode.FinishReason;

/**
 * The model's answer to one prompt about one or more images.
 *
 * @param tokenIds   generated ids, EOS included when produced
 * @param topTwoGaps per generated step, the gap between the two largest logits (near 0 = near tie)
 */
public record Answer(String text, long[] tokenIds, FinishReason finishReason, String modelId, float[] topTwoGaps,
                     StageTimings timings) {
}
