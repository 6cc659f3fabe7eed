package io.llavastream.model;

import ai.onnxruntime.OrtProvider;
import java.util.Arrays;
import java.util.Locale;

/**
 * Which ONNX Runtime execution provider runs the graphs. {@code cuda} and {@code tensorrt} need the
 * {@code onnxruntime_gpu} build (CUDA 12, cuDNN 9; TensorRT 10 for tensorrt); see docs/gpu-engine.md.
 */
public enum Engine {
    CPU(OrtProvider.CPU, "CPU", ""),
    CUDA(OrtProvider.CUDA, "CUDA", "CUDA 12 + cuDNN 9"),
    TENSORRT(OrtProvider.TENSOR_RT, "TensorRT", "CUDA 12 + cuDNN 9 + TensorRT 10");

    private final OrtProvider provider;
    private final String providerName;
    private final String needs;

    Engine(OrtProvider provider, String providerName, String needs) {
        this.provider = provider;
        this.providerName = providerName;
        this.needs = needs;
    }

    /** The name used in configuration: cpu, cuda, tensorrt. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public OrtProvider provider() {
        return provider;
    }

    /** "CUDA execution provider". */
    public String providerName() {
        return providerName + " execution provider";
    }

    /** What the native stack must have for this engine, e.g. "CUDA 12 + cuDNN 9". */
    String needs() {
        return needs;
    }

    /** Parses cpu, cuda or tensorrt (any case); the error names the bad value and the valid ones. */
    public static Engine parse(String value) {
        if (value != null) {
            for (Engine e : values()) {
                if (e.configName().equalsIgnoreCase(value.trim())) {
                    return e;
                }
            }
        }
        throw new IllegalArgumentException("unknown engine '" + value + "'; expected one of "
                + Arrays.stream(values()).map(Engine::configName).toList());
    }

    @Override
    public String toString() {
        return configName();
    }
}
