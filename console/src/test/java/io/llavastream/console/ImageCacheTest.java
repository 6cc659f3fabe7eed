package io.llavastream.console;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImageCacheTest {
    @Test
    void theCacheNeverHoldsMoreBytesThanItsBound() {
        long bound = 100_000;
        ImageCache cache = new ImageCache(bound);
        for (int i = 0; i < 200; i++) {
            cache.put(String.format("%064x", i), "image/png", new byte[10_000]);
            assertThat(cache.weightedBytes()).isLessThanOrEqualTo(bound);
        }
        assertThat(cache.size()).isBetween(1L, bound / 10_000);
        assertThat(cache.get(String.format("%064x", 199))).isPresent();
    }

    @Test
    void theLeastRecentlyShownImageGoesFirstAndOneLargerThanTheBoundIsNotKept() {
        ImageCache cache = new ImageCache(3 * (1000 + ImageCache.ENTRY_OVERHEAD_BYTES));
        cache.put("a", "image/png", new byte[1000]);
        cache.put("b", "image/png", new byte[1000]);
        cache.put("c", "image/png", new byte[1000]);
        cache.get("a");
        cache.put("d", "image/png", new byte[1000]);
        assertThat(cache.get("b")).isEmpty();
        assertThat(cache.get("a")).isPresent();
        cache.put("huge", "image/png", new byte[10_000]);
        assertThat(cache.get("huge")).isEmpty();
        assertThat(cache.size()).isEqualTo(3);
    }
}
