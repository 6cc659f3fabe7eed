package io.llavastream.tensor;

import io.llavastream.rules.DeadLetterReason;

/**
 * A tensor whose dtype, shape and bytes disagree, or one too large to decode. {@link TensorCodec} throws it before
 * it allocates anything, and a stage dead-letters the record with {@link #reason()}.
 */
public final class BadTensorException extends IllegalArgumentException {
    public BadTensorException(String message) {
        super(message);
    }

    /** Always {@link DeadLetterReason#BAD_TENSOR}. */
    public DeadLetterReason reason() {
        return DeadLetterReason.BAD_TENSOR;
    }
}
