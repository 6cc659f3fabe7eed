package io.llavastream.console;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.StageTimings;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Recent per-stage latencies, from the answers' {@link StageTimings} (vision: vision_ms of cache misses; merge:
 * merge_ms; decode: prefill_ms + decode_ms) and the captioned posts (topology: completed_at - received_at, a post's
 * whole time in the pipeline). Keeps the last {@link #WINDOW} of each and reports their median.
 */
final class Latencies {
    static final int WINDOW = 64;
    private final Map<String, Deque<Double>> windows = new HashMap<>();

    synchronized void add(Answer a) {
        StageTimings t = a.getTimings();
        if (t == null) {
            return;
        }
        if (!t.getVisionCacheHit() && t.getVisionMs() > 0) {
            add("vision", t.getVisionMs());
        }
        if (t.getMergeMs() > 0) {
            add("merge", t.getMergeMs());
        }
        if (t.getPrefillMs() + t.getDecodeMs() > 0) {
            add("decode", t.getPrefillMs() + t.getDecodeMs());
        }
    }

    synchronized void add(CaptionedPost p) {
        long ms = p.getCompletedAt().toEpochMilli() - p.getReceivedAt().toEpochMilli();
        if (ms >= 0) {
            add("topology", ms);
        }
    }

    private void add(String stage, double ms) {
        Deque<Double> w = windows.computeIfAbsent(stage, s -> new ArrayDeque<>());
        w.addLast(ms);
        if (w.size() > WINDOW) {
            w.removeFirst();
        }
    }

    /** The median of {@code stage}'s recent latencies in ms, empty before any. */
    synchronized OptionalDouble median(String stage) {
        Deque<Double> w = windows.get(stage);
        if (w == null || w.isEmpty()) {
            return OptionalDouble.empty();
        }
        double[] v = w.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return OptionalDouble.of(v[v.length / 2]);
    }
}
