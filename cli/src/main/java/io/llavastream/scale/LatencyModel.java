package io.llavastream.scale;

/**
 * A simulated GPU call's latency for a batch of {@code n} items: {@code fixedMs + perItemMs * n}, in milliseconds of
 * GPU time (before the simulation's time scale). The fixed part is what batching amortises (kernel launches,
 * reading the weights once); the per-item part grows with the batch.
 *
 * @param fixedMs   per call, whatever the batch
 * @param perItemMs per item in the batch
 */
public record LatencyModel(double fixedMs, double perItemMs) {
    public LatencyModel {
        if (!(fixedMs >= 0) || !(perItemMs >= 0)) {
            throw new IllegalArgumentException("latency must be >= 0 ms, got fixed " + fixedMs + " and per item "
                    + perItemMs);
        }
    }

    /** Milliseconds for a batch of {@code n}. */
    public double ms(int n) {
        return fixedMs + perItemMs * n;
    }

    /** Items per second at a full batch of {@code n}, run back to back. */
    public double itemsPerSecond(int n) {
        double ms = ms(n);
        return ms == 0 ? Double.POSITIVE_INFINITY : n * 1000.0 / ms;
    }

    /** "fixed+per-item" in ms, as the {@code --*-latency} options take it. */
    public static LatencyModel parse(String s) {
        String[] parts = s.split("\\+");
        if (parts.length != 2) {
            throw new IllegalArgumentException("latency must be FIXED_MS+PER_ITEM_MS, e.g. 2+29.6, got '" + s + "'");
        }
        try {
            return new LatencyModel(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("latency must be FIXED_MS+PER_ITEM_MS with numbers, e.g. 2+29.6, got '"
                    + s + "'", e);
        }
    }

    @Override
    public String toString() {
        return fixedMs + "+" + perItemMs;
    }
}
