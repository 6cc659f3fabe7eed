package io.llavastream.cli;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a model in-process. */
final class ModelOptions {
    @Option(names = "--model", description = "Model directory (default: the bundled demo model).")
    Path model;
    @Option(names = "--threads", defaultValue = "0",
            description = "ONNX Runtime intra-op threads per graph (0 = up to 4, one per core).")
    int threads;

    LlavaModel load() {
        EngineOptions engine = threads > 0 ? EngineOptions.threads(threads) : EngineOptions.cpu();
        return LlavaModel.load(model != null ? model : ModelDirectory.bundled(), engine);
    }
}
