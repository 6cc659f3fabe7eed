package io.llavastream.stage;

import io.llavastream.schemas.VisionFeatures;
import java.util.HashMap;
import java.util.Map;

/**
 * The in-process vision cache: features by {@link io.llavastream.rules.CacheKey}, as the compacted
 * vision-features topic holds them for the Kafka pipeline. Replay fills it from that topic before it starts.
 */
public final class VisionCache {
    private final Map<String, VisionFeatures> byKey = new HashMap<>();

    public VisionFeatures get(String cacheKey) {
        return byKey.get(cacheKey);
    }

    public void put(String cacheKey, VisionFeatures features) {
        byKey.put(cacheKey, features);
    }

    public void remove(String cacheKey) {
        byKey.remove(cacheKey);
    }

    public int size() {
        return byKey.size();
    }
}
