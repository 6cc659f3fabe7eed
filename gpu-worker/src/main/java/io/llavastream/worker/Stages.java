package io.llavastream.worker;

import io.llavastream.model.LlavaModel;
import java.time.Clock;
import java.util.List;

/** The stages by name, as {@code --stage} and the {@code stage} setting give them. */
public final class Stages {
    /** The stages that exist so far. */
    public static final List<String> NAMES = List.of("vision", "merge");

    private Stages() {
    }

    /** The stage called {@code name} on {@code model}; the caller keeps ownership of the model. */
    public static Stage<?> create(String name, LlavaModel model, Clock clock) {
        return switch (name) {
            case "vision" -> new VisionStage(model, clock);
            case "merge" -> new MergeStage(model, clock);
            default -> throw new IllegalArgumentException("no stage called " + name + " (there are: " + NAMES + ")");
        };
    }
}
