package io.llavastream.model.decode;

/** Why generation stopped. */
public enum FinishReason {
    /** The model produced its end-of-sequence token. */
    EOS,
    /** The maximum number of new tokens was reached. */
    LENGTH,
    /** The context window is full. */
    CONTEXT
}
