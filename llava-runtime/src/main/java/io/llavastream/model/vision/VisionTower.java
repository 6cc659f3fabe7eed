package io.llavastream.model.vision;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaConfig;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.ModelException;
import io.llavastream.model.OnnxGraph;
import java.util.Map;
import java.util.Set;

/**
 * The frozen CLIP ViT ({@code onnx/vision_tower.onnx}): pixel values [B,3,H,W] to patch features Zv [B,P,Dv] of
 * the configured layer and the pooled CLIP image embedding [B,E].
 */
public final class VisionTower implements AutoCloseable {
    private final OnnxGraph graph;
    private final LlavaConfig.VisionConfig config;

    public VisionTower(ModelDirectory dir, EngineOptions options) {
        this.graph = new OnnxGraph(dir.graph("vision_tower.onnx"), options, Set.of("pixel_values"),
                Set.of("image_features", "image_embeds"));
        this.config = dir.config().vision();
    }

    /** Encodes {@code batch} images whose pixel values lie back to back in {@code pixelValues} ([B,3,H,W]). */
    public VisionFeatures encode(float[] pixelValues, int batch) {
        int side = config.imageSize();
        long expected = (long) batch * 3 * side * side;
        if (pixelValues.length != expected) {
            throw new ModelException("pixel_values has " + pixelValues.length + " floats, expected " + expected
                    + " for [" + batch + ",3," + side + "," + side + "]");
        }
        try (OnnxTensor px = graph.floats(pixelValues, batch, 3, side, side);
             OrtSession.Result r = graph.run(Map.of("pixel_values", px))) {
            long[] fs = OnnxGraph.shapeOf(r, "image_features");
            long[] es = OnnxGraph.shapeOf(r, "image_embeds");
            return new VisionFeatures(batch, (int) fs[1], (int) fs[2], OnnxGraph.floatsOf(r, "image_features"),
                    (int) es[1], OnnxGraph.floatsOf(r, "image_embeds"));
        }
    }

    @Override
    public void close() {
        graph.close();
    }
}
