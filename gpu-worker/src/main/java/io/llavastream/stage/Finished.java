package io.llavastream.stage;

import java.util.Objects;

/**
 * One input a {@link StageMachine#step} finished: the driver's tag for it and what became of it.
 *
 * @param tag    the tag the input was submitted with
 * @param result its outputs, or its failure with the outputs that let its post complete
 */
public record Finished(Object tag, StageResult result) {
    public Finished {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(result, "result");
    }
}
