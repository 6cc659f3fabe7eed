package io.llavastream.worker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Collects polled records into a batch: a batch is ready when it holds {@code maxBatch} records, or when its first
 * record has waited {@code lingerMs}, so that a trickle of records still flows while a burst fills whole batches.
 * Times are milliseconds from one clock.
 */
final class BatchAssembler {
    private final int maxBatch;
    private final long lingerMs;
    private final List<ConsumerRecord<byte[], byte[]>> pending = new ArrayList<>();
    private long firstArrivalMs;

    BatchAssembler(int maxBatch, long lingerMs) {
        this.maxBatch = maxBatch;
        this.lingerMs = lingerMs;
    }

    void add(Iterable<ConsumerRecord<byte[], byte[]>> records, long nowMs) {
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (pending.isEmpty()) {
                firstArrivalMs = nowMs;
            }
            pending.add(r);
        }
    }

    boolean ready(long nowMs) {
        return !pending.isEmpty() && (pending.size() >= maxBatch || nowMs - firstArrivalMs >= lingerMs);
    }

    /** How long the next poll may block: {@code idleMs} when nothing is pending, else what is left of the linger. */
    long pollTimeoutMs(long nowMs, long idleMs) {
        return pending.isEmpty() ? idleMs : Math.max(0, Math.min(idleMs, firstArrivalMs + lingerMs - nowMs));
    }

    /** Takes every pending record, in poll order. */
    List<ConsumerRecord<byte[], byte[]>> drain() {
        List<ConsumerRecord<byte[], byte[]>> out = List.copyOf(pending);
        pending.clear();
        return out;
    }

    /**
     * Forgets the records of partitions this consumer lost in a rebalance: they were not committed, so their new
     * owner reads them again from the committed offset.
     */
    void drop(Collection<TopicPartition> partitions) {
        pending.removeIf(r -> partitions.contains(new TopicPartition(r.topic(), r.partition())));
    }

    int size() {
        return pending.size();
    }

    /** {@code items} cut into consecutive chunks of at most {@code size}. */
    static <T> List<List<T>> chunks(List<T> items, int size) {
        List<List<T>> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i += size) {
            out.add(items.subList(i, Math.min(items.size(), i + size)));
        }
        return out;
    }
}
