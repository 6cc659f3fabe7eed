package io.llavastream.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record that is not what its topic's serde expects. Except for REGISTRY_UNAVAILABLE, {@code reason().name()}
 * is the dead-letter error type: each of those names is a constant of {@code io.llavastream.rules.DeadLetterReason}.
 */
public final class SerdeException extends SerializationException {
    /** Why the bytes could not be read. */
    public enum Reason {
        /** A null value (a tombstone) where a record is required. */
        NULL_VALUE,
        /** Not Confluent's Avro wire format, truncated, malformed, or not decodable as the expected type. */
        NOT_AVRO,
        /** The header's schema id is not registered (the registry answered 404). */
        UNKNOWN_SCHEMA_ID,
        /** Decoding could allocate more than the record holds: a string, bytes, array, map or nesting bomb. */
        AVRO_LIMIT,
        /** The registry cannot be reached or failed: transient, so retry later and never dead-letter. */
        REGISTRY_UNAVAILABLE
    }

    private final Reason reason;

    public SerdeException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public SerdeException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
