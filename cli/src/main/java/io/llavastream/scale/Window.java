package io.llavastream.scale;

import java.util.List;

/**
 * The steady part of a run and the throughput in it. Answers arrive in bursts (a decode step finishes its rows
 * together, in one transaction), so the window runs from the arrival of the answer at 10 % of the posts
 * ({@code tFrom}) to that of the answer at 90 % ({@code tTo}), and counts the answers that arrived in
 * [tFrom, tTo): a whole number of bursts when the bursts are regular, which leaves out the ramp-up and the drain
 * without counting a burst twice. {@code from} and {@code to} are the samples taken closest before those moments
 * (for the broker's bytes and the GPUs' busy time); {@code first} and {@code last} are the run's ends. A run too
 * short for such a window is measured from its first to its last sample.
 *
 * @param perSecond answers per second in the window
 */
record Window(Sample first, Sample last, Sample from, Sample to, double perSecond) {

    /** @param arrivals when each distinct answer arrived (nanoTime, ascending) */
    static Window of(List<Sample> samples, List<Long> arrivals, int posts) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("a run took no samples");
        }
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        int lo = Math.max(1, (int) Math.ceil(0.1 * posts));
        int hi = Math.max(lo + 1, (int) Math.floor(0.9 * posts));
        if (arrivals.size() >= hi) {
            long tFrom = arrivals.get(lo - 1);
            long tTo = arrivals.get(hi - 1);
            int counted = firstAtOrAfter(arrivals, tTo) - firstAtOrAfter(arrivals, tFrom);
            if (tTo > tFrom && counted > 0) {
                return new Window(first, last, before(samples, tFrom), before(samples, tTo),
                        counted / ((tTo - tFrom) / 1e9));
            }
        }
        double seconds = Math.max(1, last.nanos() - first.nanos()) / 1e9;
        return new Window(first, last, first, last, (last.answers() - first.answers()) / seconds);
    }

    /** Seconds from sample {@code from} to sample {@code to}; at least a nanosecond. */
    double sampleSeconds() {
        return Math.max(1, to.nanos() - from.nanos()) / 1e9;
    }

    private static int firstAtOrAfter(List<Long> arrivals, long t) {
        int i = 0;
        while (i < arrivals.size() && arrivals.get(i) < t) {
            i++;
        }
        return i;
    }

    /** The last sample taken at or before {@code t}, or the first sample. */
    private static Sample before(List<Sample> samples, long t) {
        Sample s = samples.get(0);
        for (Sample x : samples) {
            if (x.nanos() <= t) {
                s = x;
            }
        }
        return s;
    }
}
