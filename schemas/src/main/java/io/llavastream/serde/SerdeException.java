package io.llavastream.serde;

import org.apache.kafka.common.errors.SerializationException;

/** A record that is not what its topic's serde expects; {@link #reason()} is the dead-letter error type. */
public final class SerdeException extends SerializationException {
    /** Why the bytes could not be read. */
    public enum Reason { NOT_AVRO, UNKNOWN_SCHEMA_ID, REGISTRY_UNAVAILABLE }

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
