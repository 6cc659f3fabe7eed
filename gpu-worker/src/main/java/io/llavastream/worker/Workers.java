package io.llavastream.worker;

import io.llavastream.model.LlavaModel;
import io.llavastream.serde.SchemaRegistry;
import java.time.Clock;
import java.util.List;

/** Builds the worker for a stage name: vision and merge on {@link StageRuntime}, decode with continuous batching. */
public final class Workers {
    public static final List<String> STAGES = List.of("vision", "merge", "decode");
    /** Generation length of the decode stage. */
    public static final int MAX_NEW_TOKENS = 32;

    private Workers() {
    }

    public static Worker create(String stage, LlavaModel model, WorkerConfig config, SchemaRegistry registry) {
        if (stage.equals("decode")) {
            return new ContinuousDecodeRuntime(model, config, registry, MAX_NEW_TOKENS);
        }
        if (!Stages.NAMES.contains(stage)) {
            throw new IllegalArgumentException("stage must be one of " + STAGES + ", got " + stage);
        }
        return StageRuntime.create(Stages.create(stage, model, Clock.systemUTC()), config, registry);
    }
}
