package io.llavastream.topology;

import io.llavastream.serde.SerdeException;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Which failures are the record's fault and which are not. A registry that cannot be reached, or a Kafka error that
 * Kafka itself calls retriable, says nothing about the record being processed: such a failure fails the stream
 * thread (it is replaced, with backoff, and retries from the last commit) and never counts against the record.
 * Touches no topic.
 */
final class Failures {
    private Failures() {
    }

    /** True when {@code failure}, or anything in its cause chain, is transient (see the class comment). */
    static boolean isTransient(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SerdeException s && s.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                return true;
            }
            if (t instanceof RetriableException) {
                return true;
            }
        }
        return false;
    }

    /** "Type: message" of {@code failure}, for logs and dead letters. */
    static String describe(Throwable failure) {
        return failure.getClass().getName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    }
}
