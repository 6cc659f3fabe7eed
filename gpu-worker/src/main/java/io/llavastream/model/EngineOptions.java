package io.llavastream.model;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

/**
 * How the ONNX Runtime sessions run. Only the CPU engine exists so far; the CUDA and TensorRT execution providers
 * come with the deployment work (see docs/gpu-engine.md).
 *
 * @param intraOpThreads threads one graph run may use (0 = ONNX Runtime's default, one per core)
 */
public record EngineOptions(int intraOpThreads) {
    public static EngineOptions cpu() {
        return new EngineOptions(Math.min(4, Runtime.getRuntime().availableProcessors()));
    }

    public EngineOptions {
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must be >= 0, got " + intraOpThreads);
        }
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
