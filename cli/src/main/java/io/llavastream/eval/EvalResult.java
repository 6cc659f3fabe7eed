package io.llavastream.eval;

import java.util.Map;

/**
 * Scores on N scenes.
 *
 * @param retrievalR1       share of caption queries whose top-1 image (among its group of 100 scenes) fits the
 *                          caption, i.e. has exactly that ground-truth caption: scenes with the same caption are
 *                          indistinguishable by their description
 * @param retrievalR1Strict share whose top-1 image is the very scene the caption came from
 * @param retrievalPool     scenes per retrieval group
 */
public record EvalResult(String modelId, long seed, int scenes, double captionExactMatch, double vqaAccuracy,
                         Map<String, Double> vqaByType, double retrievalR1, double retrievalR1Strict,
                         int retrievalPool, double seconds) {
}
