package io.llavastream.stage;

import io.llavastream.model.LlavaModel;
import io.llavastream.rules.StageName;
import java.time.Clock;

/** The machine of each stage, over the parts of a whole {@link LlavaModel} (for drivers that run every stage). */
public final class StageMachines {
    /** Generation length of the decode stage, in tokens. */
    public static final int MAX_NEW_TOKENS = 32;

    private StageMachines() {
    }

    /**
     * The machine of {@code stage} over {@code model}'s parts, which the caller keeps and closes; batches of up to
     * {@code maxBatch} (decode: sequences decoding at once).
     */
    public static StageMachine<?> create(StageName stage, LlavaModel model, int maxBatch, Clock clock) {
        return switch (stage) {
            case VISION -> new VisionMachine(model.visionParts(), maxBatch, clock);
            case MERGE -> new MergeMachine(model.mergeParts(), maxBatch, clock);
            case DECODE -> new DecodeMachine(model.decodeParts(), maxBatch, MAX_NEW_TOKENS, clock);
            default -> throw new IllegalArgumentException("no machine for stage " + stage.id() + " (there are: "
                    + StageName.workerIds() + ")");
        };
    }
}
