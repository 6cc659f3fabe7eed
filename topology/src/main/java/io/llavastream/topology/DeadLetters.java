package io.llavastream.topology;

import io.llavastream.schemas.DeadLetter;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Optional;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/** Builds the topology's {@link DeadLetter} records; the error types it adds to the serde's are constants here. */
final class DeadLetters {
    static final String STAGE = "topology";
    static final String NO_IMAGES = "NO_IMAGES";
    static final String TOO_MANY_IMAGES = "TOO_MANY_IMAGES";
    static final String IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE";
    /** An exception no check expected; the record is dead-lettered by {@link DeadLetterExceptionHandler}. */
    static final String PROCESSING_ERROR = "PROCESSING_ERROR";

    private DeadLetters() {
    }

    /** A dead letter for the record at {@code source} (absent in a punctuation: topic "", partition and offset -1). */
    static DeadLetter of(Optional<RecordMetadata> source, byte[] key, byte[] value, String errorType,
                         String message, long now) {
        return of(source.map(RecordMetadata::topic).orElse(""), source.map(RecordMetadata::partition).orElse(-1),
                source.map(RecordMetadata::offset).orElse(-1L), key, value, errorType, message, now);
    }

    static DeadLetter of(String topic, int partition, long offset, byte[] key, byte[] value, String errorType,
                         String message, long now) {
        return DeadLetter.newBuilder().setTopic(topic == null ? "" : topic).setPartition(partition).setOffset(offset)
                .setKey(key == null ? null : ByteBuffer.wrap(key)).setValue(value == null ? null : ByteBuffer.wrap(value))
                .setErrorType(errorType).setErrorMessage(message == null ? errorType : message).setStage(STAGE)
                .setFailedAt(Instant.ofEpochMilli(now)).build();
    }
}
