package io.llavastream.search;

/**
 * One image a search returned.
 *
 * @param sha256     SHA-256 of the image, 64 hex digits
 * @param modelId    the vision model whose embedding matched
 * @param postId     a post the image was seen in
 * @param imageIndex its 0-based position in that post
 * @param caption    its latest caption, or null when none has arrived yet
 * @param score      cosine similarity of the query and the image embedding, in [-1, 1]
 */
public record SearchHit(String sha256, String modelId, String postId, int imageIndex, String caption, float score) {
}
