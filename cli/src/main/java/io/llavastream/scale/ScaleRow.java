package io.llavastream.scale;

import java.util.Map;

/**
 * One worker count's line of the report (SIMULATION). Besides the {@link RunResult}: {@code scaling}, posts/s
 * against the first (smallest) worker count; {@code idealPostsPerSecond}, that count's rate times the worker ratio;
 * {@code efficiency}, their ratio; {@code brokerMbInPerSecond} and {@code brokerMbOutPerSecond}, the broker's
 * byte rates at this throughput (posts/s times the bytes per post the broker measured over the run), and
 * {@code brokerMbPerSecond} both together; {@code windowMb*PerSecond}, the broker's rates measured in the
 * window itself (lower in a short run, where the upstream stages finish before the window starts); {@code kafkaLimited}, whether
 * the ideal rate needs more than 80 % of the measured ceiling (null without a ceiling run); {@code target} and
 * {@code meetsTarget}, issue 9's goal for this worker count (1.8x at 2, 3.2x at 4; null for other counts).
 */
public record ScaleRow(String type, boolean simulation, int workers, double timeScale, int posts, int answers,
                       int duplicates, int missing, int errors, double postsPerSecond, double scaling,
                       double idealPostsPerSecond, double efficiency, double brokerMbInPerSecond,
                       double brokerMbOutPerSecond, double brokerMbPerSecond, double windowMbInPerSecond,
                       double windowMbOutPerSecond, double brokerBytesInPerPost,
                       double brokerBytesOutPerPost, Map<String, Double> gpuBusy, double decodeMeanBatch, double decodeOverheadMs,
                       Boolean kafkaLimited,
                       Double target, Boolean meetsTarget, double seconds) {
}
