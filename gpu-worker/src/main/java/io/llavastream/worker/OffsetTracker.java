package io.llavastream.worker;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * In-flight records per partition, for a stage whose records finish out of order (continuous batching). Outputs
 * are released only for the contiguous finished prefix of each partition, in the same transaction as the offset
 * after it: a restart then re-reads exactly the records whose outputs were never committed, so none is lost and
 * none is answered twice.
 */
final class OffsetTracker {
    private final Map<TopicPartition, TreeMap<Long, List<Output<?>>>> pending = new HashMap<>();
    /** A finished record's outputs; null marks one still running. */
    private static final List<Output<?>> RUNNING = null;

    void started(TopicPartition tp, long offset) {
        pending.computeIfAbsent(tp, k -> new TreeMap<>()).put(offset, RUNNING);
    }

    /** Records the outputs of a finished record; ignored when its partition was revoked meanwhile. */
    void finished(TopicPartition tp, long offset, List<Output<?>> outputs) {
        TreeMap<Long, List<Output<?>>> m = pending.get(tp);
        if (m != null && m.containsKey(offset)) {
            m.put(offset, List.copyOf(outputs));
        }
    }

    boolean tracks(TopicPartition tp, long offset) {
        TreeMap<Long, List<Output<?>>> m = pending.get(tp);
        return m != null && m.containsKey(offset);
    }

    /** Removes the finished prefix of every partition: its outputs, and the offsets to commit after it. */
    Release release() {
        List<Output<?>> outputs = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        int inputs = 0;
        for (Map.Entry<TopicPartition, TreeMap<Long, List<Output<?>>>> e : pending.entrySet()) {
            TreeMap<Long, List<Output<?>>> m = e.getValue();
            long next = -1;
            while (!m.isEmpty() && m.firstEntry().getValue() != RUNNING) {
                Map.Entry<Long, List<Output<?>>> first = m.pollFirstEntry();
                outputs.addAll(first.getValue());
                next = first.getKey() + 1;
                inputs++;
            }
            if (next >= 0) {
                offsets.put(e.getKey(), new OffsetAndMetadata(next));
            }
        }
        return new Release(inputs, outputs, offsets);
    }

    void forget(TopicPartition tp) {
        pending.remove(tp);
    }

    void clear() {
        pending.clear();
    }

    int size() {
        return pending.values().stream().mapToInt(Map::size).sum();
    }

    /** What one transaction publishes. */
    record Release(int inputs, List<Output<?>> outputs, Map<TopicPartition, OffsetAndMetadata> offsets) {
        boolean isEmpty() {
            return offsets.isEmpty();
        }
    }
}
