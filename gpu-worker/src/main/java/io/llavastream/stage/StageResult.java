package io.llavastream.stage;

import io.llavastream.rules.DeadLetterReason;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a stage made of one input: the records to publish for it and, when the input could not be processed, why.
 * A failed input is dead-lettered by the driver (with its original bytes); its outputs are still published, so a
 * stage can answer a bad image with an ERROR answer and the post still completes.
 */
public record StageResult(List<Output<?>> outputs, Optional<Failure> failure) {

    /**
     * Why one input failed.
     *
     * @param reason  the dead letter's error_type
     * @param message human-readable reason naming the bad value
     */
    public record Failure(DeadLetterReason reason, String message) {
        public Failure {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    public StageResult {
        outputs = List.copyOf(outputs);
        Objects.requireNonNull(failure, "failure");
    }

    public static StageResult ok(List<Output<?>> outputs) {
        return new StageResult(outputs, Optional.empty());
    }

    public static StageResult failed(DeadLetterReason reason, String message, List<Output<?>> outputs) {
        return new StageResult(outputs, Optional.of(new Failure(reason, message)));
    }

    public boolean isFailure() {
        return failure.isPresent();
    }
}
