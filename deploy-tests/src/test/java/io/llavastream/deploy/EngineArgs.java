package io.llavastream.deploy;

import io.llavastream.model.Engine;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** How a deployed worker selects its engine: {@code --engine NAME} (or {@code --engine=NAME}), or LLAVA_ENGINE. */
final class EngineArgs {
    /** The variable ModelOptions reads when --engine is absent; the chart sets it from stages.&lt;name&gt;.engine. */
    static final String ENV = "LLAVA_ENGINE";
    /** Engines that compute on a GPU: every {@link Engine} but cpu. */
    static final Set<String> GPU_ENGINES = Arrays.stream(Engine.values()).filter(e -> e != Engine.CPU)
            .map(Engine::configName).collect(Collectors.toUnmodifiableSet());

    private EngineArgs() {
    }

    /** The last --engine value in {@code args}, or null when there is none. */
    static String engine(List<String> args) {
        String engine = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--engine") && i + 1 < args.size()) {
                engine = args.get(++i);
            } else if (a.startsWith("--engine=")) {
                engine = a.substring("--engine=".length());
            }
        }
        return engine;
    }

    static boolean isGpu(String engine) {
        return engine != null && GPU_ENGINES.contains(engine.toLowerCase(java.util.Locale.ROOT));
    }
}
