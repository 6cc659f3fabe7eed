package io.llavastream.topology;

/** Vision cache lookups since start: hits skip the vision stage, misses go to it. */
public record VisionCacheStats(long hits, long misses) {
    public long lookups() {
        return hits + misses;
    }

    /** hits / lookups, or 0 before the first lookup. */
    public double hitRate() {
        return lookups() == 0 ? 0 : (double) hits / lookups();
    }
}
