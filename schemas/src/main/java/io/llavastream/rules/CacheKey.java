package io.llavastream.rules;

/**
 * The vision cache's key, {@code <sha256>|<vision model id>}: an image's features depend only on its bytes and on
 * the vision tower, so a new language model over the same tower (or a replay) reuses them. Keys the compacted
 * vision-features and image-embeddings topics.
 */
public final class CacheKey {
    private CacheKey() {
    }

    public static String of(String imageSha256, String visionModelId) {
        return imageSha256 + "|" + visionModelId;
    }
}
