package io.llavastream.worker;

/**
 * Exponential backoff between retries: {@code initialMs}, then twice as long after each further failure in a row,
 * up to {@code maxMs}; {@link #reset} after a success.
 */
final class Backoff {
    private final long initialMs;
    private final long maxMs;
    private int failuresInARow;

    Backoff(long initialMs, long maxMs) {
        this.initialMs = initialMs;
        this.maxMs = maxMs;
    }

    /** The pause before the next retry, counting this failure. */
    long next() {
        long ms = Math.min(maxMs, initialMs << Math.min(20, failuresInARow));
        failuresInARow++;
        return ms;
    }

    void reset() {
        failuresInARow = 0;
    }

    int failuresInARow() {
        return failuresInARow;
    }
}
