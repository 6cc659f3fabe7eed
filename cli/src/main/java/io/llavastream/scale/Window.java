package io.llavastream.scale;

import java.util.List;

/**
 * The steady part of a run and the throughput in it. Answers arrive in bursts: a decode batch finishes its rows
 * together, and the workers' batches may finish in step with each other. In a steady state every cycle of
 * {@code cycle} answers (the rows decoding at once, over all workers) takes one period, so the answers number k and
 * k + n x cycle arrive exactly n periods apart, whatever the phase of k. The window therefore runs from the answer
 * at 10 % of the posts to the one a whole number of cycles later that is closest to 90 % (ramp-up and drain left
 * out), and the rate is the answers between them over the time between them. With fewer answers than a cycle in
 * that span, the 10 % and 90 % answers themselves; with too few answers for either, the run from its first to its
 * last sample. {@code from} and {@code to} are the samples taken last before the window's ends (for the broker's
 * bytes and the GPUs' busy time); {@code first} and {@code last} are the run's ends.
 *
 * @param perSecond answers per second in the window
 */
record Window(Sample first, Sample last, Sample from, Sample to, double perSecond) {

    /**
     * @param arrivals when each distinct answer arrived (nanoTime, ascending)
     * @param cycle    answers finished per period in a steady state: the decode rows of all workers
     */
    static Window of(List<Sample> samples, List<Long> arrivals, int posts, int cycle) {
        if (samples.isEmpty()) {
            throw new IllegalArgumentException("a run took no samples");
        }
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        int lo = Math.max(1, (int) Math.ceil(0.1 * posts));
        int hi = Math.max(lo + 1, (int) Math.floor(0.9 * posts));
        int span = hi - lo >= cycle ? (hi - lo) / cycle * cycle : hi - lo;
        if (arrivals.size() >= lo + span) {
            long tFrom = arrivals.get(lo - 1);
            long tTo = arrivals.get(lo + span - 1);
            if (tTo > tFrom) {
                return new Window(first, last, before(samples, tFrom), before(samples, tTo),
                        span / ((tTo - tFrom) / 1e9));
            }
        }
        double seconds = Math.max(1, last.nanos() - first.nanos()) / 1e9;
        return new Window(first, last, first, last, (last.answers() - first.answers()) / seconds);
    }

    /** Seconds from sample {@code from} to sample {@code to}; at least a nanosecond. */
    double sampleSeconds() {
        return Math.max(1, to.nanos() - from.nanos()) / 1e9;
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
