package io.llavastream.worker;

import io.llavastream.rules.DeadLetterRecords;
import io.llavastream.schemas.DeadLetter;
import java.time.Clock;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Builds a stage's {@link DeadLetter} records with {@link DeadLetterRecords}: where the refused record came from,
 * its key and value bytes as read (a prefix of each when they are too large to copy), the reason, the stage and the
 * time.
 */
public final class DeadLetters {
    private final String stage;
    private final Clock clock;

    public DeadLetters(String stage, Clock clock) {
        this.stage = stage;
        this.clock = clock;
    }

    public DeadLetter of(ConsumerRecord<byte[], byte[]> record, String errorType, String message) {
        return DeadLetterRecords.of(stage, record.topic(), record.partition(), record.offset(), record.key(),
                record.value(), errorType, message, clock.instant());
    }
}
