package io.llavastream.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * How the ONNX Runtime sessions run. Only the CPU engine exists so far; the CUDA and TensorRT execution providers
 * come with the deployment work (see docs/gpu-engine.md).
 *
 * @param intraOpThreads threads one graph run may use (0 = ONNX Runtime's default, one per core)
 * @param maxImagePixels images declaring more pixels (width x height) are refused before decoding
 */
public record EngineOptions(int intraOpThreads, long maxImagePixels) {
    /** The default pixel limit: 40 megapixels. */
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 40_000_000L;

    public static EngineOptions cpu() {
        return threads(Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    public static EngineOptions threads(int intraOpThreads) {
        return new EngineOptions(intraOpThreads, DEFAULT_MAX_IMAGE_PIXELS);
    }

    public EngineOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
        }
        if (maxImagePixels < 1) {
            throw new IllegalArgumentException("maxImagePixels must be >= 1, got " + maxImagePixels);
        }
    }

    public EngineOptions withMaxImagePixels(long pixels) {
        return new EngineOptions(intraOpThreads, pixels);
    }

    OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        if (intraOpThreads > 0) {
            o.setIntraOpNumThreads(intraOpThreads);
        }
        o.setInterOpNumThreads(1);
        return o;
    }
}
