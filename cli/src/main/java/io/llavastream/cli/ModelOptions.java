package io.llavastream.cli;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.worker.WorkerConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * Options shared by the commands that load a model in-process. The engine flags have no picocli defaults: an
 * unset flag contributes nothing, so a {@code worker}'s config file ({@code --client-config}) keeps its
 * {@code engine*} values and only an explicit flag overrides them. Precedence, lowest first: WorkerConfig's
 * declared defaults, the config file, {@code LLAVA_KAFKA_<NAME>} variables, {@code LLAVA_ENGINE}, the flags.
 */
final class ModelOptions {
    /** The environment variable the chart and the images set for {@code engine}. */
    static final String ENGINE_ENV = "LLAVA_ENGINE";

    @Option(names = "--model", description = "Model directory (default: the bundled demo model).")
    Path model;
    @Option(names = "--threads", description = "ONNX Runtime intra-op threads per graph (engine.threads; "
            + "default: the config file's, else 0 = up to 4, one per core).")
    Integer threads;
    @Option(names = "--engine", description = "cpu, cuda or tensorrt (engine; default: $LLAVA_ENGINE, else the "
            + "config file's, else cpu); cuda and tensorrt need the onnxruntime_gpu build.")
    String engine;
    @Option(names = "--device", description = "GPU ordinal for cuda and tensorrt (engine.device.id; default: the "
            + "config file's, else 0).")
    Integer device;
    @Option(names = "--engine-fallback", description = "none or cpu: what a GPU engine does when its provider is "
            + "missing or fails (engine.fallback; none = exit with an error; default: the config file's, else none).")
    String engineFallback;
    @Option(names = "--engine-option", paramLabel = "KEY=VALUE", description = "An engine.tensorrt.* setting "
            + "(engine.tensorrt.fp16, engine.tensorrt.cache.dir, engine.tensorrt.profiles); repeatable; overrides "
            + "the config file's.")
    Map<String, String> engineOption = new LinkedHashMap<>();

    LlavaModel load() {
        return LlavaModel.load(model != null ? model : ModelDirectory.bundled(), engineOptions());
    }

    /** The model with LoRA adapters, each NAME (adapters/NAME of the model directory) or NAME=PATH. */
    LlavaModel load(java.util.List<String> adapterSpecs) {
        Path root = model != null ? model : ModelDirectory.bundled();
        return LlavaModel.load(root, engineOptions(),
                io.llavastream.model.adapter.AdapterSpecs.parse(adapterSpecs, root));
    }

    /** The engine options from the flags and LLAVA_ENGINE alone, for commands without a config file. */
    EngineOptions engineOptions() {
        try {
            return WorkerConfig.engineOptions(explicitEngineSettings(System.getenv()));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);  // what the commands report as a usage error
        }
    }

    /**
     * The engine settings (WorkerConfig's names) that were given: a flag, or {@code LLAVA_ENGINE} for
     * {@code engine} when --engine is absent; a bad flag value throws IllegalArgumentException naming it.
     */
    Map<String, Object> explicitEngineSettings(Map<String, String> env) {
        Map<String, Object> s = new LinkedHashMap<>();
        String envEngine = env.get(ENGINE_ENV);
        if (engine != null) {
            s.put(WorkerConfig.ENGINE, engine);
        } else if (envEngine != null && !envEngine.isBlank()) {
            s.put(WorkerConfig.ENGINE, envEngine.strip());
        }
        if (device != null) {
            s.put(WorkerConfig.ENGINE_DEVICE_ID, device);
        }
        if (engineFallback != null) {
            if (!"none".equalsIgnoreCase(engineFallback) && !"cpu".equalsIgnoreCase(engineFallback)) {
                throw new IllegalArgumentException("--engine-fallback must be none or cpu, got " + engineFallback);
            }
            s.put(WorkerConfig.ENGINE_FALLBACK, engineFallback);
        }
        if (threads != null) {
            s.put(WorkerConfig.ENGINE_THREADS, threads);
        }
        engineOption.forEach((k, v) -> {
            WorkerConfig.checkEngineOption(k, v);
            s.put(k, v);
        });
        return s;
    }
}
