package io.llavastream.topology;

import java.util.Map;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.streams.StreamsMetrics;

/**
 * The vision cache's Streams metrics: {@code hit-total}, {@code hit-rate}, {@code miss-total} and {@code miss-rate}
 * in group {@value #GROUP}, one set per stream thread (tag thread-id), visible in {@code KafkaStreams.metrics()}
 * and JMX like Kafka Streams' own.
 */
public final class VisionCacheMetrics {
    public static final String SCOPE = "llava-vision-cache";
    public static final String GROUP = "stream-" + SCOPE + "-metrics";
    static final String HITS = "hit";
    static final String MISSES = "miss";

    /** The two sensors a processor records into. */
    record Sensors(Sensor hits, Sensor misses) {
        void record(boolean hit) {
            (hit ? hits : misses).record();
        }
    }

    private VisionCacheMetrics() {
    }

    /** Registers (or finds) the current thread's sensors. */
    static Sensors register(StreamsMetrics metrics) {
        return new Sensors(
                metrics.addRateTotalSensor(SCOPE, TopologyNames.VISION_CACHE_STORE, HITS, Sensor.RecordingLevel.INFO),
                metrics.addRateTotalSensor(SCOPE, TopologyNames.VISION_CACHE_STORE, MISSES, Sensor.RecordingLevel.INFO));
    }

    /** Sums the totals over all stream threads. */
    public static VisionCacheStats read(Map<MetricName, ? extends Metric> metrics) {
        return new VisionCacheStats(total(metrics, HITS), total(metrics, MISSES));
    }

    private static long total(Map<MetricName, ? extends Metric> metrics, String operation) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            if (GROUP.equals(e.getKey().group()) && (operation + "-total").equals(e.getKey().name())) {
                sum += ((Number) e.getValue().metricValue()).doubleValue();
            }
        }
        return Math.round(sum);
    }
}
