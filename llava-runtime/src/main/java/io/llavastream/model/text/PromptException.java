package io.llavastream.model.text;

/** A prompt the model cannot take; {@link #reason()} says which rule it broke and the message names the values. */
public final class PromptException extends RuntimeException {
    /** What is wrong with the prompt. */
    public enum Reason { NO_IMAGE_TOKEN, IMAGE_COUNT_MISMATCH, TOO_LONG }

    private final Reason reason;

    public PromptException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
