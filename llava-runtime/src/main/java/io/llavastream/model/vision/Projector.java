package io.llavastream.model.vision;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.ModelException;
import io.llavastream.model.OnnxGraph;
import java.util.Map;
import java.util.Set;

/**
 * LLaVA's multi-modal projector ({@code onnx/projector.onnx}): linear, GELU, linear, mapping patch features
 * Zv [B,P,Dv] into the language model's embedding space, Hv [B,P,D].
 */
public final class Projector implements AutoCloseable {
    private final OnnxGraph graph;
    private final int featureDim;
    private final int hiddenSize;

    public Projector(ModelDirectory dir, EngineOptions options) {
        this.graph = new OnnxGraph(dir.graph("projector.onnx"), options, Set.of("image_features"),
                Set.of("projected_features"));
        this.featureDim = dir.config().vision().hiddenSize();
        this.hiddenSize = dir.config().text().hiddenSize();
    }

    /** Projects {@code batch} images of {@code patches} features each; returns Hv [B,P,D] row-major. */
    public float[] project(float[] patchFeatures, int batch, int patches) {
        long expected = (long) batch * patches * featureDim;
        if (patchFeatures.length != expected) {
            throw new ModelException("image_features has " + patchFeatures.length + " floats, expected " + expected
                    + " for [" + batch + "," + patches + "," + featureDim + "]");
        }
        try (OnnxTensor in = graph.floats(patchFeatures, batch, patches, featureDim);
             OrtSession.Result r = graph.run(Map.of("image_features", in))) {
            float[] out = OnnxGraph.floatsOf(r, "projected_features");
            if (out.length != (long) batch * patches * hiddenSize) {
                throw new ModelException("projector returned " + out.length + " floats, expected [" + batch + ","
                        + patches + "," + hiddenSize + "]");
            }
            return out;
        }
    }

    @Override
    public void close() {
        graph.close();
    }
}
