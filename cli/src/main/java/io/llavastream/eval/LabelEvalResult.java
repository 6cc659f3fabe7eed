package io.llavastream.eval;

import java.util.List;

/**
 * Zero-shot label accuracy on N scenes ({@link LabelEvaluation}).
 *
 * @param accuracy          share of scenes whose top label is the shape of their largest object (by size class;
 *                          of two objects of one size class, either)
 * @param singleAccuracy    the same on scenes of one object ({@code singleScenes} of them)
 * @param mixedSizeAccuracy on scenes of a large and a small object: the large one's shape
 * @param sameSizeAccuracy  on scenes of two objects of one size class: either shape
 * @param extentAccuracy    top label = the shape of the object with the largest extent in pixels (ties: either);
 *                          two objects of one size class differ by a few pixels, which CLIP's embedding hardly sees
 * @param coverage          share of scenes carrying at least one label (a score at or above its threshold)
 * @param carriedPrecision  share of carried labels that name the largest object's shape
 */
public record LabelEvalResult(String modelId, long seed, int scenes, List<String> labels, double accuracy,
                              double singleAccuracy, int singleScenes, double mixedSizeAccuracy, int mixedSizeScenes,
                              double sameSizeAccuracy, int sameSizeScenes, double extentAccuracy, double coverage,
                              double carriedPrecision, double seconds) {
}
