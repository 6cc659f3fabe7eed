package io.llavastream.worker;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/** Where a consumed record sits: the driver's tag for it in the stage machine and in the {@link Ledger}. */
record RecordId(TopicPartition partition, long offset) {
    static RecordId of(ConsumerRecord<?, ?> r) {
        return new RecordId(new TopicPartition(r.topic(), r.partition()), r.offset());
    }

    @Override
    public String toString() {
        return partition + "@" + offset;
    }
}
