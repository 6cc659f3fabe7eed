package io.llavastream.rules;

import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

/**
 * The vision cache's key, {@code <sha256>|<vision model id>}: an image's features depend only on its bytes and on
 * the vision tower, so a new language model over the same tower (or a replay) reuses them. Keys the compacted
 * vision-features and image-embeddings topics, and places vision requests ({@link #partition}).
 */
public final class CacheKey {
    private CacheKey() {
    }

    public static String of(String imageSha256, String visionModelId) {
        return imageSha256 + "|" + visionModelId;
    }

    /**
     * The partition, of {@code partitions}, that Kafka producers' default partitioner gives a record keyed by
     * {@code cacheKey} (murmur2 of its UTF-8 bytes): where its vision-features record lives, and where the topology
     * puts the image's vision request, so that one vision worker owns both.
     */
    public static int partition(String cacheKey, int partitions) {
        return Utils.toPositive(Utils.murmur2(cacheKey.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
