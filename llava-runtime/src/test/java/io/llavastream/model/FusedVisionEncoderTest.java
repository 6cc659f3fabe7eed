package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.vision.VisionFeatures;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * transformers.js runs {@code onnx/vision_encoder.onnx}, the tower and projector fused; the Java runtime runs
 * them apart. Both must give the same Hv, or the two implementations would answer from different features.
 */
class FusedVisionEncoderTest {
    @Test
    void fusedVisionEncoderEqualsProjectorOfVisionTower() {
        ModelDirectory dir = ModelDirectory.open(TestModels.demo());
        int side = dir.config().vision().imageSize();
        float[] px = new float[2 * 3 * side * side];
        Random rnd = new Random(3);
        for (int i = 0; i < px.length; i++) {
            px[i] = (float) rnd.nextGaussian();
        }
        try (LlavaModel model = LlavaModel.load(dir.root(), EngineOptions.cpu());
             OnnxGraph fused = new OnnxGraph(dir.graph("vision_encoder.onnx"), EngineOptions.cpu(),
                     Set.of("pixel_values"), Set.of("image_features"));
             OnnxTensor in = fused.floats(px, 2, 3, side, side);
             OrtSession.Result r = fused.run(Map.of("pixel_values", in))) {
            VisionFeatures zv = model.vision().encode(px, 2);
            float[] hv = model.projector().project(zv.patchFeatures(), 2, zv.patches());
            assertThat(ReferenceTensors.maxAbsDiff(OnnxGraph.floatsOf(r, "image_features"), hv)).isLessThan(1e-4f);
        }
    }
}
