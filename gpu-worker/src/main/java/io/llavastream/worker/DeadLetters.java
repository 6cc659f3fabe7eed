package io.llavastream.worker;

import io.llavastream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Clock;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Builds {@link DeadLetter} records: where the refused record came from, its key and value bytes exactly as read
 * (so it can be inspected or replayed), the reason, the stage and the time.
 */
public final class DeadLetters {
    private final String stage;
    private final Clock clock;

    public DeadLetters(String stage, Clock clock) {
        this.stage = stage;
        this.clock = clock;
    }

    public DeadLetter of(ConsumerRecord<byte[], byte[]> record, String errorType, String message) {
        return DeadLetter.newBuilder()
                .setTopic(record.topic())
                .setPartition(record.partition())
                .setOffset(record.offset())
                .setKey(wrap(record.key()))
                .setValue(wrap(record.value()))
                .setErrorType(errorType)
                .setErrorMessage(message)
                .setStage(stage)
                .setFailedAt(clock.instant())
                .build();
    }

    private static ByteBuffer wrap(byte[] bytes) {
        return bytes == null ? null : ByteBuffer.wrap(bytes.clone());
    }
}
