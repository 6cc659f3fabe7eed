package io.llavastream.model;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the ONNX Runtime sessions run: on the CPU, or on ONNX Runtime's CUDA or TensorRT execution provider
 * (see docs/gpu-engine.md). A GPU engine whose provider this ONNX Runtime build lacks, or that fails to start,
 * fails fast with a {@link ModelException}, or, with {@code fallbackToCpu}, logs a warning and runs on the CPU.
 *
 * @param intraOpThreads threads one graph run may use (0 = ONNX Runtime's default, one per core)
 * @param maxImagePixels images declaring more pixels (width x height) are refused before decoding
 * @param engine the execution provider
 * @param deviceId the GPU ordinal for cuda and tensorrt
 * @param fallbackToCpu run on the CPU (with a warning) when the GPU provider is missing or fails to start
 * @param tensorRt TensorRT settings, used by the tensorrt engine only
 */
public record EngineOptions(int intraOpThreads, long maxImagePixels, Engine engine, int deviceId,
                            boolean fallbackToCpu, TensorRtOptions tensorRt) {
    /** The default pixel limit: 40 megapixels. */
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 40_000_000L;

    private static final Logger LOG = LoggerFactory.getLogger(EngineOptions.class);

    public static EngineOptions cpu() {
        return threads(Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    public static EngineOptions threads(int intraOpThreads) {
        return new EngineOptions(intraOpThreads, DEFAULT_MAX_IMAGE_PIXELS);
    }

    /** The CPU engine. */
    public EngineOptions(int intraOpThreads, long maxImagePixels) {
        this(intraOpThreads, maxImagePixels, Engine.CPU, 0, false, TensorRtOptions.defaults());
    }

    public EngineOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
        }
        if (maxImagePixels < 1) {
            throw new IllegalArgumentException("maxImagePixels must be >= 1, got " + maxImagePixels);
        }
        if (engine == null) {
            throw new IllegalArgumentException("engine must be set (cpu, cuda or tensorrt)");
        }
        if (deviceId < 0) {
            throw new IllegalArgumentException("deviceId must be >= 0, got " + deviceId);
        }
        if (tensorRt == null) {
            tensorRt = TensorRtOptions.defaults();
        }
    }

    public EngineOptions withMaxImagePixels(long pixels) {
        return new EngineOptions(intraOpThreads, pixels, engine, deviceId, fallbackToCpu, tensorRt);
    }

    public EngineOptions withEngine(Engine e) {
        return new EngineOptions(intraOpThreads, maxImagePixels, e, deviceId, fallbackToCpu, tensorRt);
    }

    public EngineOptions withDeviceId(int id) {
        return new EngineOptions(intraOpThreads, maxImagePixels, engine, id, fallbackToCpu, tensorRt);
    }

    public EngineOptions withFallbackToCpu(boolean fallback) {
        return new EngineOptions(intraOpThreads, maxImagePixels, engine, deviceId, fallback, tensorRt);
    }

    public EngineOptions withTensorRt(TensorRtOptions options) {
        return new EngineOptions(intraOpThreads, maxImagePixels, engine, deviceId, fallbackToCpu, options);
    }

    /**
     * Session options and the engine they really use (CPU after a fallback). Closing it closes the session options
     * and the provider options, which are kept open until the session is created.
     */
    record Resolved(OrtSession.SessionOptions options, Engine engine, AutoCloseable providerOptions)
            implements AutoCloseable {
        Resolved(OrtSession.SessionOptions options, Engine engine) {
            this(options, engine, null);
        }

        @Override
        public void close() {
            options.close();
            if (providerOptions != null) {
                try {
                    providerOptions.close();
                } catch (Exception e) {
                    LOG.debug("closing provider options", e);
                }
            }
        }
    }

    /** Session options for {@code what} (a graph file, for messages) against this ONNX Runtime's providers. */
    Resolved sessionOptions(String what) {
        return sessionOptions(what, OrtEnvironment.getAvailableProviders());
    }

    /**
     * The provider chain: tensorrt = TensorRT, then CUDA (when present), then CPU; cuda = CUDA, then CPU; cpu = CPU.
     * {@code available} is what the ONNX Runtime build offers (a parameter so tests can pretend).
     */
    Resolved sessionOptions(String what, Set<OrtProvider> available) {
        if (engine != Engine.CPU && !available.contains(engine.provider())) {
            return unavailable(what, "engine " + engine + " needs ONNX Runtime's " + engine.providerName()
                    + ", which this build lacks (available: " + available + "); use the onnxruntime_gpu jar with "
                    + engine.needs() + ", or set engine.fallback=cpu", null);
        }
        OrtSession.SessionOptions o = null;
        OrtTensorRTProviderOptions trt = null;
        try {
            o = cpuOptions();
            if (engine == Engine.TENSORRT) {
                trt = tensorRtOptions();
                o.addTensorrt(trt);
                if (available.contains(OrtProvider.CUDA)) {
                    o.addCUDA(deviceId);
                }
            } else if (engine == Engine.CUDA) {
                o.addCUDA(deviceId);
            }
            return new Resolved(o, engine, trt);
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            if (o != null) {
                o.close();
            }
            if (trt != null) {
                trt.close();
            }
            return unavailable(what, "engine " + engine + " could not start ONNX Runtime's " + engine.providerName()
                    + " on device " + deviceId + ": " + e.getMessage() + " (needs " + engine.needs()
                    + " and an NVIDIA driver); fix the GPU setup, or set engine.fallback=cpu", e);
        }
    }

    /** The policy for a GPU engine that cannot run: a warning and the CPU, or a ModelException. */
    Resolved unavailable(String what, String reason, Throwable cause) {
        if (!fallbackToCpu) {
            throw new ModelException(reason, cause);
        }
        LOG.warn("{}; falling back to the CPU for {} (engine.fallback=cpu)",
                reason.replace(", or set engine.fallback=cpu", ""), what);
        try {
            return new Resolved(cpuOptions(), Engine.CPU);
        } catch (OrtException e) {
            throw new ModelException("cannot create CPU session options: " + e.getMessage(), e);
        }
    }

    OrtSession.SessionOptions cpuOptions() throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (intraOpThreads > 0) {
            o.setIntraOpNumThreads(intraOpThreads);
        }
        o.setInterOpNumThreads(1);
        return o;
    }

    private OrtTensorRTProviderOptions tensorRtOptions() throws OrtException {
        OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(deviceId);
        try {
            for (Map.Entry<String, String> e : tensorRt.ortOptions().entrySet()) {
                trt.add(e.getKey(), e.getValue());
            }
            return trt;
        } catch (OrtException | RuntimeException e) {
            trt.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return "EngineOptions[engine=" + engine + (engine == Engine.CPU ? "" : ", device=" + deviceId)
                + ", fallbackToCpu=" + fallbackToCpu + ", intraOpThreads=" + intraOpThreads + ", maxImagePixels="
                + maxImagePixels + (engine == Engine.TENSORRT ? ", tensorRt=" + tensorRt : "") + "]";
    }
}
