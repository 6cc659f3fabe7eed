package io.llavastream.topology;

import java.util.Optional;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Where a record was read: topic (a source or a repartition topic), partition and offset. Touches no topic. */
record SourceRecord(String topic, int partition, long offset) {
    /** The record being processed, or empty in a punctuation (no topic, offset -1). */
    static Optional<SourceRecord> of(Optional<RecordMetadata> metadata) {
        return metadata.filter(m -> m.topic() != null && m.offset() >= 0)
                .map(m -> new SourceRecord(m.topic(), m.partition(), m.offset()));
    }

    @Override
    public String toString() {
        return topic + "-" + partition + "@" + offset;
    }
}
