package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.DeadLetterRecords;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.DeadLetter;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The topology's {@link DeadLetter} records, with a {@link DeadLetterReason} as their error type: the topology's
 * record metadata in front of {@link DeadLetterRecords}, which caps what is copied.
 */
final class DeadLetters {
    static final String STAGE = StageName.TOPOLOGY.id();

    private DeadLetters() {
    }

    /** A dead letter for the record at {@code source} (absent in a punctuation: topic "", partition and offset -1). */
    static DeadLetter of(Optional<RecordMetadata> source, byte[] key, byte[] value, DeadLetterReason reason,
                         String message, long now) {
        return of(source, key, value, reason.name(), message, now);
    }

    static DeadLetter of(Optional<RecordMetadata> source, byte[] key, byte[] value, String errorType,
                         String message, long now) {
        return of(source.map(RecordMetadata::topic).orElse(""), source.map(RecordMetadata::partition).orElse(-1),
                source.map(RecordMetadata::offset).orElse(-1L), key, value, errorType, message, now);
    }

    static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value, String errorType,
                         String message, long now) {
        return DeadLetterRecords.of(STAGE, topic, partition, offset, key, value, errorType, message,
                Instant.ofEpochMilli(now));
    }
}
