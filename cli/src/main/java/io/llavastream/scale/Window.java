package io.llavastream.scale;

import java.util.List;

/**
 * The steady part of a run: from the first sample with 10 % of the posts answered ({@code from}) to the first with
 * 90 % ({@code to}), which leaves out the ramp-up (batches filling) and the drain (batches emptying). When the run
 * is too short for two distinct such samples, the whole run. {@code first} and {@code last} are the run's ends.
 */
record Window(Sample first, Sample last, Sample from, Sample to) {

    static Window of(List<Sample> samples, int posts) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("a run took no samples");
        }
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        int lo = Math.max(1, (int) Math.ceil(0.1 * posts));
        int hi = Math.max(lo + 1, (int) Math.floor(0.9 * posts));
        Sample from = firstWith(samples, lo);
        Sample to = firstWith(samples, hi);
        if (from == null || to == null || to.nanos() <= from.nanos() || to.answers() <= from.answers()) {
            return new Window(first, last, first, last);
        }
        return new Window(first, last, from, to);
    }

    /** Seconds from {@code from} to {@code to}; at least a nanosecond. */
    double seconds() {
        return Math.max(1, to.nanos() - from.nanos()) / 1e9;
    }

    private static Sample firstWith(List<Sample> samples, int answers) {
        for (Sample s : samples) {
            if (s.answers() >= answers) {
                return s;
            }
        }
        return null;
    }
}
