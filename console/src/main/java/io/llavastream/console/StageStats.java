package io.llavastream.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.topics.Topic;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

/**
 * Reads each stage's numbers from Kafka through an admin client (no consumer group joined, nothing written):
 * <ul>
 *   <li>lag: the sum over the input topic's partitions of the last stable offset minus the stage group's committed
 *   offset (null until the group has committed on that topic), less the ranges that hold only transaction markers
 *   ({@link MarkerProbe}), so that an idle stage reads 0;</li>
 *   <li>throughput: how fast the output topic's end offsets grow between two snapshots, in offsets per second.
 *   Under exactly-once every transaction adds a commit marker per partition it wrote, so this counts records plus
 *   markers: an upper bound on records per second;</li>
 *   <li>latency: the median of recent latencies from {@link Latencies}.</li>
 * </ul>
 */
final class StageStats {
    private static final long TIMEOUT_S = 10;
    private final Admin admin;
    private final List<StageView> stages;
    private final Latencies latencies;
    private final Map<String, List<TopicPartition>> partitions = new HashMap<>();
    private Map<String, Long> lastEnds = Map.of();
    private long lastNanos;

    private final MarkerProbe probe;

    StageStats(Admin admin, MarkerProbe probe, List<StageView> stages, Latencies latencies) {
        this.admin = admin;
        this.probe = probe;
        this.stages = stages;
        this.latencies = latencies;
    }

    /** One snapshot: {@code {"stages": [{stage, group, lag, offsets_per_second, latency_ms}, ...]}}. */
    synchronized ObjectNode snapshot() throws InterruptedException, ExecutionException, TimeoutException {
        Set<Topic<?>> topics = new HashSet<>();
        stages.forEach(s -> {
            topics.add(s.input());
            topics.add(s.output());
        });
        Map<TopicPartition, Long> ends = ends(topics);
        long now = System.nanoTime();
        Map<String, Long> endByTopic = new HashMap<>();
        ends.forEach((tp, e) -> endByTopic.merge(tp.topic(), e, Long::sum));
        double seconds = (now - lastNanos) / 1e9;
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        ArrayNode rows = out.putArray("stages");
        for (StageView s : stages) {
            ObjectNode row = rows.addObject().put("stage", s.stage()).put("group", s.group());
            Long lag = lag(s, ends);
            putOrNull(row, "lag", lag == null ? null : lag.doubleValue());
            Long before = lastEnds.get(s.output().name());
            Long after = endByTopic.get(s.output().name());
            putOrNull(row, "offsets_per_second", before == null || after == null || seconds <= 0 ? null
                    : Math.max(0, after - before) / seconds);
            OptionalDouble ms = latencies.median(s.stage());
            putOrNull(row, "latency_ms", ms.isPresent() ? ms.getAsDouble() : null);
        }
        lastEnds = endByTopic;
        lastNanos = now;
        return out;
    }

    private static void putOrNull(ObjectNode row, String field, Double value) {
        if (value == null) {
            row.putNull(field);
        } else {
            row.put(field, value);
        }
    }

    private Long lag(StageView s, Map<TopicPartition, Long> ends)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(s.group())
                .partitionsToOffsetAndMetadata().get(TIMEOUT_S, TimeUnit.SECONDS);
        long lag = 0;
        boolean any = false;
        Map<TopicPartition, long[]> probed = new HashMap<>();
        for (TopicPartition tp : partitions.getOrDefault(s.input().name(), List.of())) {
            OffsetAndMetadata c = committed.get(tp);
            Long end = ends.get(tp);
            if (c != null && end != null) {
                long gap = Math.max(0, end - c.offset());
                lag += gap;
                any = true;
                if (gap > 0 && gap <= MarkerProbe.MAX_PROBED) {
                    probed.put(tp, new long[] {c.offset(), end});
                }
            }
        }
        for (TopicPartition tp : probe.onlyMarkers(probed)) {
            lag -= probed.get(tp)[1] - probed.get(tp)[0];
        }
        return any ? lag : null;
    }

    private Map<TopicPartition, Long> ends(Set<Topic<?>> topics)
            throws InterruptedException, ExecutionException, TimeoutException {
        List<String> missing = new ArrayList<>();
        topics.forEach(t -> {
            if (!partitions.containsKey(t.name())) {
                missing.add(t.name());
            }
        });
        if (!missing.isEmpty()) {
            Map<String, TopicDescription> d = admin.describeTopics(missing).allTopicNames()
                    .get(TIMEOUT_S, TimeUnit.SECONDS);
            d.forEach((name, desc) -> partitions.put(name, desc.partitions().stream()
                    .map(p -> new TopicPartition(name, p.partition())).toList()));
        }
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.values().forEach(l -> l.forEach(tp -> request.put(tp, OffsetSpec.latest())));
        Map<TopicPartition, Long> out = new HashMap<>();
        admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all()
                .get(TIMEOUT_S, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }
}
