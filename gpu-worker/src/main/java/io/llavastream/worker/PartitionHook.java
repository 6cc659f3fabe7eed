package io.llavastream.worker;

import java.util.Collection;
import org.apache.kafka.common.TopicPartition;

/**
 * State a stage keeps beside its machine that follows the input partitions this worker owns: the vision worker's
 * {@link VisionCacheRestorer}. {@link StageDriver} calls it from its rebalance listener, on the polling thread.
 */
interface PartitionHook extends AutoCloseable {
    /** A stage with no such state. */
    PartitionHook NONE = new PartitionHook() {
    };

    /** These input partitions are now this worker's (called before their first records are polled). */
    default void assigned(Collection<TopicPartition> partitions) {
    }

    /** These input partitions are no longer this worker's (revoked or lost). */
    default void revoked(Collection<TopicPartition> partitions) {
    }

    @Override
    default void close() {
    }
}
