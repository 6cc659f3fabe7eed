package io.llavastream.topology;

/**
 * A record a processor refuses in the middle of the topology; {@link DeadLetterExceptionHandler} turns it into a
 * dead letter with {@link #errorType()} and the stream goes on.
 */
final class InvalidRecordException extends RuntimeException {
    private final String errorType;

    InvalidRecordException(String errorType, String message) {
        super(message);
        this.errorType = errorType;
    }

    String errorType() {
        return errorType;
    }
}
