package io.llavastream.topology;

import io.llavastream.schemas.DeadLetter;

/**
 * A record that passed a check, or was refused with a dead letter. A refused record may still carry its value:
 * an oversized image keeps its task, so that its post can still complete with that image marked failed. The
 * assembly uses it for its two outputs: a captioned post, or the dead letter of an image that timed out.
 */
record Checked<T>(T value, DeadLetter deadLetter) {
    static <T> Checked<T> ok(T value) {
        return new Checked<>(value, null);
    }

    static <T> Checked<T> refused(DeadLetter deadLetter) {
        return new Checked<>(null, deadLetter);
    }

    static <T> Checked<T> refused(T value, DeadLetter deadLetter) {
        return new Checked<>(value, deadLetter);
    }

    boolean isRefused() {
        return deadLetter != null;
    }
}
