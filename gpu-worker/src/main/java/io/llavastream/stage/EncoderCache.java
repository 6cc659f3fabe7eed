package io.llavastream.stage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.llavastream.schemas.Tensor;
import io.llavastream.schemas.VisionFeatures;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * The vision worker's encoder cache (as vLLM's encoder cache): vision features by {@link
 * io.llavastream.rules.CacheKey}, in memory, bounded in bytes (Caffeine, weighed by the tensors' bytes; the least
 * useful entries are evicted first). It counts hits and misses as the topology's vision-cache metrics did: one per
 * image looked up. Thread-safe: the worker's loop and its restorer may use it at once.
 */
public final class EncoderCache {
    /** What an entry costs besides its tensors' bytes: key, hash, model id, shapes, object headers. */
    public static final int ENTRY_OVERHEAD_BYTES = 512;

    private final Cache<String, VisionFeatures> cache;
    private final long maxBytes;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    /** A cache of up to {@code maxBytes} (0 keeps nothing: every lookup is a miss). */
    public EncoderCache(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("encoder cache size must be >= 0 bytes, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String key, VisionFeatures f) -> weight(key, f))
                .executor(Runnable::run)  // evict on the caller's thread: the bound holds when put returns
                .build();
    }

    /** The features cached under {@code cacheKey}, or null; counts a hit or a miss. */
    public VisionFeatures lookup(String cacheKey) {
        VisionFeatures f = cache.getIfPresent(cacheKey);
        (f != null ? hits : misses).incrementAndGet();
        return f;
    }

    /** Counts a hit served without a lookup: a second copy of an image in the batch that computes it. */
    void countHit() {
        hits.incrementAndGet();
    }

    public void put(String cacheKey, VisionFeatures features) {
        cache.put(cacheKey, features);
    }

    /** A tombstone on the compacted topic: the entry is deleted. */
    public void remove(String cacheKey) {
        cache.invalidate(cacheKey);
    }

    /** Drops the entries whose key matches, e.g. those of partitions this worker no longer owns. */
    public void removeIf(Predicate<String> cacheKey) {
        cache.asMap().keySet().removeIf(cacheKey);
    }

    /** Whether {@code cacheKey} is cached, without counting a lookup. */
    public boolean contains(String cacheKey) {
        return cache.getIfPresent(cacheKey) != null;
    }

    public long hits() {
        return hits.get();
    }

    public long misses() {
        return misses.get();
    }

    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** The weighed bytes held now, at most {@link #maxBytes()}. */
    public long bytes() {
        return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    public long maxBytes() {
        return maxBytes;
    }

    /** An entry's weight: its tensors' bytes (whatever their dtype) plus {@link #ENTRY_OVERHEAD_BYTES}. */
    static int weight(String key, VisionFeatures f) {
        long w = ENTRY_OVERHEAD_BYTES + 2L * key.length() + bytes(f.getPatchFeatures()) + bytes(f.getImageEmbedding());
        return (int) Math.min(Integer.MAX_VALUE, w);
    }

    private static long bytes(Tensor t) {
        return t == null || t.getData() == null ? 0 : t.getData().capacity();
    }
}
