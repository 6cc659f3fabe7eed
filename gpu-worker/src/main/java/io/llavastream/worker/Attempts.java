package io.llavastream.worker;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;

/**
 * How often each record's transaction has failed for a reason that may be the record's own (the broker refused
 * it), so that a record that keeps failing is dead-lettered as REPEATED_FAILURE after {@code max} tries instead of
 * being retried forever. Failures that say nothing about the records (timeouts, a broker or registry that is
 * away) are not counted here: those are retried with backoff for as long as they last.
 */
final class Attempts {
    private final int max;
    private final Map<RecordId, Integer> failures = new HashMap<>();
    private final Map<RecordId, String> lastError = new HashMap<>();

    Attempts(int max) {
        this.max = max;
    }

    void failed(Collection<RecordId> ids, String error) {
        for (RecordId id : ids) {
            failures.merge(id, 1, Integer::sum);
            lastError.put(id, error);
        }
    }

    /** True when {@code id} has failed {@code max} times: it is dead-lettered instead of processed again. */
    boolean exhausted(RecordId id) {
        return failures.getOrDefault(id, 0) >= max;
    }

    int failures(RecordId id) {
        return failures.getOrDefault(id, 0);
    }

    String lastError(RecordId id) {
        return lastError.get(id);
    }

    /** While any record is under suspicion, transactions carry one record each, to find the culprit. */
    boolean careful() {
        return !failures.isEmpty();
    }

    void committed(Collection<RecordId> ids) {
        failures.keySet().removeAll(ids);
        lastError.keySet().removeAll(ids);
    }

    /** Forgets records of partitions this worker no longer owns: their new owner keeps its own count. */
    void forget(Collection<TopicPartition> partitions) {
        failures.keySet().removeIf(id -> partitions.contains(id.partition()));
        lastError.keySet().removeIf(id -> partitions.contains(id.partition()));
    }
}
