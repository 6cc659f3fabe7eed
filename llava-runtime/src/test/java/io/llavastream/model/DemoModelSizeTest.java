package io.llavastream.model;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The bundled model's size and training time as the README gives them, and the parameter counts docs/demo-model.md gives for the bundled model's LM and projector, computed from its
 * config.json (the exported graphs' weights hold the same numbers: 6,016 in embed_tokens.onnx and 859,136 in
 * decoder_model_merged.onnx, counted with onnx, 2026-12-02).
 */
class DemoModelSizeTest {
    @Test
    void theLanguageModelHas865152ParametersAsDocumented() throws IOException {
        JsonNode t = config().path("text_config");
        long h = t.path("hidden_size").asLong();
        long vocab = t.path("vocab_size").asLong();
        long headDim = t.path("head_dim").asLong();
        long q = t.path("num_attention_heads").asLong() * headDim;
        long kv = t.path("num_key_value_heads").asLong() * headDim;
        long attention = h * q + 2 * h * kv + q * h;          // q, k, v, o projections, no biases
        long mlp = 3 * h * t.path("intermediate_size").asLong();  // SwiGLU: gate, up, down
        long layer = attention + mlp + 2 * h;                 // + two RMSNorm weights
        long untiedHead = t.path("tie_word_embeddings").asBoolean() ? 0 : vocab * h;
        long lm = vocab * h + t.path("num_hidden_layers").asLong() * layer + h + untiedHead;
        assertThat(lm).isEqualTo(865_152);
        assertThat(String.format("%.2fM", lm / 1e6)).as("docs/demo-model.md's figure").isEqualTo("0.87M");
    }

    @Test
    void theProjectorHas33kParametersAsDocumented() throws IOException {
        JsonNode c = config();
        long dv = c.path("vision_config").path("hidden_size").asLong();
        long d = c.path("text_config").path("hidden_size").asLong();
        long projector = dv * d + d + d * d + d;  // linear, GELU, linear, with biases
        assertThat(projector).isEqualTo(33_024);
    }

    /** The README's "models/llava-demo (23 MB, ...) was trained ... in 26 minutes" (16 MB before the LoRA graphs). */
    @Test
    void theBundledModelDirectoryIs23MbAndItsTrainingReportSays26Minutes() throws IOException {
        long bytes;
        try (Stream<Path> files = Files.walk(ModelDirectory.bundled())) {
            bytes = files.filter(Files::isRegularFile).mapToLong(DemoModelSizeTest::size).sum();
        }
        assertThat(Math.round(bytes / 1e6)).as("MB in models/llava-demo (%d bytes)", bytes).isEqualTo(23);
        JsonNode report = new ObjectMapper().readTree(ModelDirectory.bundled().resolve("training_report.json").toFile());
        assertThat(Math.round(report.path("total_seconds").asDouble() / 60)).as("training minutes").isEqualTo(26);
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode config() throws IOException {
        return new ObjectMapper().readTree(ModelDirectory.bundled().resolve("config.json").toFile());
    }
}
