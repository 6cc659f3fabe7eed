package io.llavastream.cli;

import io.llavastream.model.Engine;
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
    @Option(names = "--engine", defaultValue = "${env:LLAVA_ENGINE:-cpu}", description = "cpu, cuda or tensorrt "
            + "(default: $LLAVA_ENGINE, else cpu); cuda and tensorrt need the onnxruntime_gpu build.")
    String engine;
    @Option(names = "--device", defaultValue = "0", description = "GPU ordinal for cuda and tensorrt.")
    int device;
    @Option(names = "--engine-fallback", defaultValue = "none", description = "none or cpu: what a GPU engine "
            + "does when its provider is missing or fails (none = exit with an error).")
    String engineFallback;

    LlavaModel load() {
        return LlavaModel.load(model != null ? model : ModelDirectory.bundled(), engineOptions());
    }

    EngineOptions engineOptions() {
        return engineOptions(threads, engine, device, engineFallback);
    }

    /** The engine options from the command-line values; bad values throw IllegalArgumentException naming them. */
    static EngineOptions engineOptions(int threads, String engine, int device, String fallback) {
        if (!"none".equalsIgnoreCase(fallback) && !"cpu".equalsIgnoreCase(fallback)) {
            throw new IllegalArgumentException("--engine-fallback must be none or cpu, got " + fallback);
        }
        EngineOptions base = threads > 0 ? EngineOptions.threads(threads) : EngineOptions.cpu();
        return base.withEngine(Engine.parse(engine)).withDeviceId(device)
                .withFallbackToCpu("cpu".equalsIgnoreCase(fallback));
    }
}
