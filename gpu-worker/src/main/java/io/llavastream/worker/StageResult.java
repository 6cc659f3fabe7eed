package io.llavastream.worker;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a stage made of one input: the records to publish for it and, when the input could not be processed, why.
 * A failed input is dead-lettered by the runtime (with its original bytes); its outputs are still published, so a
 * stage can answer a bad image with an ERROR answer and the post still completes.
 */
public record StageResult(List<Output<?>> outputs, Optional<Failure> failure) {

    /**
     * Why one input failed.
     *
     * @param errorType machine-readable reason, the dead letter's error_type (e.g. CORRUPT_IMAGE)
     * @param message   human-readable reason naming the bad value
     */
    public record Failure(String errorType, String message) {
        public Failure {
            Objects.requireNonNull(errorType, "errorType");
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

    public static StageResult failed(String errorType, String message, List<Output<?>> outputs) {
        return new StageResult(outputs, Optional.of(new Failure(errorType, message)));
    }

    public boolean isFailure() {
        return failure.isPresent();
    }
}
