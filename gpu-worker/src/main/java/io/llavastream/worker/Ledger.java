package io.llavastream.worker;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Every record consumed and not yet committed, per partition in offset order, with what it produced once
 * finished. Stages finish records out of order (continuous decode; a batch may end with records of several
 * partitions), so outputs are released only for the contiguous finished prefix of each partition, in the same
 * transaction as the offset after it: a restart then re-reads exactly the records whose outputs were never
 * committed, so none is lost and none is published twice.
 *
 * <p>A slot leaves the ledger only when its release commits ({@link #committed}), so the first slot of each
 * partition is always the committed position: where to rewind after an abort.
 */
final class Ledger {
    private final Map<TopicPartition, TreeMap<Long, Slot>> partitions = new HashMap<>();

    /** One consumed record: the bytes as read, the decoded input (null if it did not decode), the produce list. */
    static final class Slot {
        final ConsumerRecord<byte[], byte[]> record;
        SpecificRecord input;
        /** Records to publish for it, its dead letter included; null while it is running. */
        List<ProducerRecord<byte[], byte[]>> produced;
        boolean deadLettered;

        Slot(ConsumerRecord<byte[], byte[]> record) {
            this.record = record;
        }

        boolean finished() {
            return produced != null;
        }
    }

    /** What one transaction publishes: the records, the offsets to commit, and counts for the stats. */
    record Release(List<RecordId> ids, List<ProducerRecord<byte[], byte[]>> records,
                   Map<TopicPartition, OffsetAndMetadata> offsets, int deadLetters) {
        boolean isEmpty() {
            return ids.isEmpty();
        }
    }

    /** Tracks a consumed record; false when it is tracked already (delivered twice). */
    boolean start(ConsumerRecord<byte[], byte[]> r) {
        return partitions.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), k -> new TreeMap<>())
                .putIfAbsent(r.offset(), new Slot(r)) == null;
    }

    /** The slot of {@code id}, or null when it is not tracked (its partition was revoked meanwhile). */
    Slot slot(RecordId id) {
        TreeMap<Long, Slot> m = partitions.get(id.partition());
        return m == null ? null : m.get(id.offset());
    }

    /** Records what {@code id} produced; ignored when it is no longer tracked. */
    void finish(RecordId id, List<ProducerRecord<byte[], byte[]>> produced, boolean deadLettered) {
        Slot s = slot(id);
        if (s != null) {
            s.produced = List.copyOf(produced);
            s.deadLettered = deadLettered;
        }
    }

    /**
     * The finished prefix of every partition, without removing it (see {@link #committed}). With {@code justOne},
     * only the first finished head record found: a careful transaction after an abort, so that a record that keeps
     * failing is caught alone.
     */
    Release releasable(boolean justOne) {
        List<RecordId> ids = new ArrayList<>();
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        int dead = 0;
        for (Map.Entry<TopicPartition, TreeMap<Long, Slot>> e : partitions.entrySet()) {
            for (Slot s : e.getValue().values()) {
                if (!s.finished() || (justOne && !ids.isEmpty())) {
                    break;
                }
                ids.add(RecordId.of(s.record));
                records.addAll(s.produced);
                dead += s.deadLettered ? 1 : 0;
                offsets.put(e.getKey(), new OffsetAndMetadata(s.record.offset() + 1, s.record.leaderEpoch(), ""));
            }
        }
        return new Release(ids, records, offsets, dead);
    }

    /** Forgets a release whose transaction committed. */
    void committed(Release release) {
        for (RecordId id : release.ids()) {
            TreeMap<Long, Slot> m = partitions.get(id.partition());
            if (m != null) {
                m.remove(id.offset());
            }
        }
    }

    /** Forgets the partitions; returns the ids of their records that had not finished (to cancel in the machine). */
    List<RecordId> forget(Collection<TopicPartition> gone) {
        List<RecordId> running = new ArrayList<>();
        for (TopicPartition tp : gone) {
            TreeMap<Long, Slot> m = partitions.remove(tp);
            if (m != null) {
                m.values().stream().filter(s -> !s.finished()).forEach(s -> running.add(RecordId.of(s.record)));
            }
        }
        return running;
    }

    /** Per partition, the offset of its first uncommitted record. */
    Map<TopicPartition, Long> firstOffsets() {
        Map<TopicPartition, Long> out = new HashMap<>();
        partitions.forEach((tp, m) -> {
            if (!m.isEmpty()) {
                out.put(tp, m.firstKey());
            }
        });
        return out;
    }

    void clear() {
        partitions.clear();
    }

    /** Records consumed and not yet committed. */
    int size() {
        return partitions.values().stream().mapToInt(Map::size).sum();
    }
}
