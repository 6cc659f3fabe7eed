package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.model.decode.ContinuousBatcher;
import io.llavastream.model.decode.SamplingParams;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each stage's parts load from a model directory that holds only their own graphs (links to the demo model's), so
 * a stage's pod needs and holds nothing else; the whole model does not load from such a directory.
 */
class StagePartsTest {
    @TempDir
    Path tmp;

    /** A model directory with every config but only {@code graphs} under onnx/. */
    private Path only(List<String> graphs) throws IOException {
        Path src = TestModels.demo();
        Path dir = Files.createDirectories(tmp.resolve(String.join("+", graphs)));
        for (String c : ModelDirectory.CONFIGS) {
            Files.createSymbolicLink(dir.resolve(c), src.resolve(c).toAbsolutePath());
        }
        Files.createDirectories(dir.resolve("onnx"));
        for (String g : graphs) {
            Files.createSymbolicLink(dir.resolve("onnx").resolve(g), src.resolve("onnx").resolve(g).toAbsolutePath());
        }
        return dir;
    }

    @Test
    void visionPartsNeedOnlyTheVisionTower() throws IOException {
        Path dir = only(VisionParts.GRAPHS);
        try (VisionParts p = VisionParts.load(dir, EngineOptions.cpu())) {
            int side = p.directory().config().vision().imageSize();
            assertThat(p.tower().encode(new float[3 * side * side], 1).batch()).isEqualTo(1);
            assertThat(p.visionModelId()).isEqualTo(p.directory().config().visionModelId());
        }
        assertThatThrownBy(() -> LlavaModel.load(dir, EngineOptions.cpu())).isInstanceOf(ModelException.class)
                .hasMessageContaining("projector.onnx");
    }

    @Test
    void mergePartsNeedOnlyTheProjector() throws IOException {
        assertThat(MergeParts.GRAPHS).containsExactly("projector.onnx");
        try (MergeParts p = MergeParts.load(only(MergeParts.GRAPHS), EngineOptions.cpu())) {
            long[] ids = p.merge().expand(p.tokenizer().encode("USER: <image>\nhi ASSISTANT:"), 1);
            int tokens = p.config().tokensPerImage();
            assertThat(p.merge().imagePositions(ids)).hasSize(tokens);
            int dv = p.config().vision().hiddenSize();
            assertThat(p.projector().project(new float[tokens * dv], 1, tokens))
                    .hasSize(tokens * p.config().text().hiddenSize());
        }
    }

    @Test
    void decodePartsNeedOnlyTheDecoderAndTheEmbedder() throws IOException {
        try (DecodeParts p = DecodeParts.load(only(DecodeParts.GRAPHS), EngineOptions.cpu());
             var batcher = p.batcher(2)) {
            assertThat(batcher.inFlight()).isZero();
            assertThat(p.modelId()).isEqualTo(p.directory().config().modelId());
        }
    }

    @Test
    void withoutTheStepGraphTheBatcherStepsOnTheMergedDecoderAndDecodesAsWithIt() throws IOException {
        List<long[]> fallback = new ArrayList<>();
        List<long[]> stepGraph = new ArrayList<>();
        try (DecodeParts p = DecodeParts.load(only(DecodeParts.GRAPHS), EngineOptions.cpu());
             DecodeParts q = DecodeParts.load(TestModels.demo(), EngineOptions.cpu())) {
            assertThat(p.decoder().hasStepGraph()).isFalse();
            assertThat(q.decoder().hasStepGraph()).isTrue();
            long[] ids = q.tokenizer().encode("USER: what colour is the circle? ASSISTANT:");
            float[] embeds = q.embedder().embed(ids);
            for (var parts : List.of(p, q)) {
                try (var batcher = parts.batcher(4)) {
                    for (int i = 0; i < 3; i++) {
                        batcher.submit(new ContinuousBatcher.Request(i, Arrays.copyOf(embeds, (ids.length - i)
                                * q.directory().config().text().hiddenSize()), ids.length - i, SamplingParams.greedy(12)));
                    }
                    long[][] out = new long[3][];
                    while (batcher.inFlight() > 0) {
                        batcher.step().forEach(f -> out[(Integer) f.tag()] = f.generation().tokenIds());
                    }
                    (parts == p ? fallback : stepGraph).addAll(List.of(out));
                }
            }
        }
        for (int i = 0; i < 3; i++) {
            assertThat(fallback.get(i)).containsExactly(stepGraph.get(i));
        }
    }

    @Test
    void aMissingGraphIsNamed() throws IOException {
        Path dir = only(List.of("projector.onnx"));
        assertThatThrownBy(() -> DecodeParts.load(dir, EngineOptions.cpu())).isInstanceOf(ModelException.class)
                .hasMessageContaining("decoder_model_merged.onnx");
    }
}
