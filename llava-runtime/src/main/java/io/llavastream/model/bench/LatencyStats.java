package io.llavastream.model.bench;

import java.util.Arrays;

/** Summary of repeated timings, in milliseconds. */
public record LatencyStats(String stage, int samples, double p50Ms, double p90Ms, double meanMs) {

    public static LatencyStats of(String stage, long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        double mean = Arrays.stream(s).average().orElse(0) / 1e6;
        return new LatencyStats(stage, s.length, s[s.length / 2] / 1e6, s[(int) Math.min(s.length - 1,
                Math.ceil(s.length * 0.9) - 1)] / 1e6, mean);
    }
}
