package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.image.ClipImageProcessor;
import io.llavastream.model.vision.VisionFeatures;
import io.llavastream.pipeline.ModelCopies;
import io.llavastream.scenes.SceneWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * tools/train/tune_clip.py (the CLIP tuning for zero-shot labels that {@code train} runs after training) on a copy
 * of the bundled model, briefly: it may change only the CLIP image embedding. The patch features LLaVA reads, and so
 * every caption and answer, stay as they were; the text tower's graph is untouched; the written logit scale is the
 * one it learned, and the model gets a vision_model_id of its own (the vision-feature cache's key). Runs when
 * Debian's python3-torch and python3-onnx are installed (CI requires them with {@code LLAVA_REQUIRE_PYTHON_TOOLS=1}).
 */
class TuneClipTest {
    static final Path PYTHON = Path.of("/usr/bin/python3");
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void tuningChangesTheClipImageEmbeddingAndNothingLlavaReads(@TempDir Path tmp) throws Exception {
        assumePythonTools();
        Path bundled = ModelDirectory.bundled();
        Path model = ModelCopies.copy(bundled, tmp.resolve("model"));
        Path scenes = tmp.resolve("scenes");
        SceneWriter.write(7, 600, scenes, i -> { });  // the training seed; the last 256 are held out
        Path root = Path.of(System.getProperty("llava.repo.root", "."));
        Path log = tmp.resolve("tune.log");
        Process p = new ProcessBuilder(PYTHON.toString(), root.resolve("tools/train/tune_clip.py").toString(),
                "--model", model.toString(), "--scenes", scenes.toString(), "--minutes", "0.15",
                "--eval-every", "100000", "--write").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        boolean done = p.waitFor(5, TimeUnit.MINUTES);
        assertThat(done && p.exitValue() == 0).as("tune_clip.py output:%n%s", Files.readString(log)).isTrue();

        assertThat(Files.mismatch(bundled.resolve("onnx/text_encoder.onnx"), model.resolve("onnx/text_encoder.onnx")))
                .as("the text tower is frozen: its graph is not rewritten").isEqualTo(-1L);
        JsonNode report = JSON.readTree(model.resolve("training_report.json").toFile()).get("clip_tune");
        assertThat(report.get("steps").asInt()).isPositive();
        assertThat(JSON.readTree(model.resolve("config.json").toFile()).at("/clip_text_config/logit_scale").asDouble())
                .isEqualTo(report.get("logit_scale").asDouble());

        assertThat(visionModelId(model)).as("a new tower gets a new vision_model_id, so no cache mixes the two")
                .isEqualTo("llava-stream/demo-v1-vision-" + sha256(model.resolve("onnx/vision_tower.onnx")))
                .isNotEqualTo(visionModelId(bundled));
        assertThat(visionModelId(bundled)).as("the bundled model follows the same rule")
                .isEqualTo("llava-stream/demo-v1-vision-" + sha256(bundled.resolve("onnx/vision_tower.onnx")));

        float[] pixels = pixels(bundled, scenes);
        try (LlavaModel before = LlavaModel.load(bundled, EngineOptions.cpu());
             LlavaModel after = LlavaModel.load(model, EngineOptions.cpu())) {
            VisionFeatures a = before.vision().encode(pixels, 4);
            VisionFeatures b = after.vision().encode(pixels, 4);
            assertThat(maxAbsDiff(a.patchFeatures(), b.patchFeatures())).as("LLaVA's patch features")
                    .isLessThan(1e-5f);
            assertThat(maxAbsDiff(a.imageEmbeds(), b.imageEmbeds())).as("the CLIP image embedding")
                    .isGreaterThan(1e-3f);
        }
    }

    static String visionModelId(Path model) throws IOException {
        return JSON.readTree(model.resolve("config.json").toFile()).get("vision_model_id").asText();
    }

    /** The first 12 hex digits of the file's SHA-256. */
    static String sha256(Path file) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(file))).substring(0, 12);
    }

    static void assumePythonTools() throws IOException, InterruptedException {
        boolean available = Files.isExecutable(PYTHON) && new ProcessBuilder(PYTHON.toString(), "-c",
                "import torch, onnx, PIL").start().waitFor() == 0;
        if (!available && "1".equals(System.getenv("LLAVA_REQUIRE_PYTHON_TOOLS"))) {
            throw new IllegalStateException("python3 with torch, onnx and PIL is required but missing");
        }
        assumeTrue(available, "python3-torch / python3-onnx not installed; skipping the CLIP tuning test");
    }

    /** The first four scenes, preprocessed as the vision stage does: [4, 3, H, W]. */
    static float[] pixels(Path model, Path scenes) throws IOException {
        ClipImageProcessor proc = ClipImageProcessor.fromConfig(model.resolve("preprocessor_config.json"));
        List<Path> pngs;
        try (Stream<Path> s = Files.list(scenes)) {
            pngs = s.filter(f -> f.toString().endsWith(".png")).sorted().limit(4).toList();
        }
        float[] first = proc.preprocess(ImageIO.read(pngs.get(0).toFile()));
        float[] out = new float[first.length * pngs.size()];
        for (int i = 0; i < pngs.size(); i++) {
            proc.preprocess(ImageIO.read(pngs.get(i).toFile()), out, i * first.length);
        }
        return out;
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertThat(b).hasSameSizeAs(a);
        float worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
