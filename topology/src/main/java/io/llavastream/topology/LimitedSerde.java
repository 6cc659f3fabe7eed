package io.llavastream.topology;

import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A serde whose serializer refuses a value over {@code maxBytes} with a {@link RecordTooLargeException} that says
 * how large it is and what the limit is ({@link RecordLimits}). At a sink, {@link DeadLetterExceptionHandler} turns
 * that into a dead letter of the input; in a state store's put, the processing exception handler does. Reads are
 * not checked. Touches no topic itself.
 */
final class LimitedSerde<T> implements Serde<T> {
    private final Serde<T> delegate;
    private final int maxBytes;
    private final String what;

    /** @param what the value's kind and destination, for the error ("CaptionedPost for llava.captioned-posts") */
    LimitedSerde(Serde<T> delegate, int maxBytes, String what) {
        this.delegate = delegate;
        this.maxBytes = maxBytes;
        this.what = what;
    }

    @Override
    public Serializer<T> serializer() {
        Serializer<T> s = delegate.serializer();
        return (topic, value) -> check(s.serialize(topic, value));
    }

    @Override
    public Deserializer<T> deserializer() {
        return delegate.deserializer();
    }

    private byte[] check(byte[] bytes) {
        if (bytes != null && bytes.length > maxBytes) {
            throw new RecordTooLargeException("a " + what + " of " + bytes.length + " bytes is over the limit of "
                    + maxBytes + " bytes (the topic's max.message.bytes less " + RecordLimits.OVERHEAD_BYTES
                    + " for key, headers and batch overhead)");
        }
        return bytes;
    }
}
