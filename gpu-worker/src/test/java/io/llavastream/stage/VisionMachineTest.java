package io.llavastream.stage;

import io.llavastream.tensor.TensorCodec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.VisionParts;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.image.InvalidImageException;
import io.llavastream.rules.CacheKey;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import io.llavastream.worker.TestRecords;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The vision machine on the bundled demo model's vision parts alone and real ONNX Runtime. */
class VisionMachineTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);
    static LlavaModel model;
    static VisionParts parts;
    static VisionMachine stage;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.cpu());
        parts = VisionParts.load(ModelDirectory.bundled(), EngineOptions.cpu());
        stage = new VisionMachine(parts, 8, CLOCK);
    }

    @AfterAll
    static void close() {
        parts.close();
        model.close();
    }

    static byte[] scene(int i) {
        return SceneRenderer.png(new SceneGenerator(11).scene(i));
    }

    @Test
    void eachImageGetsItsFeaturesEmbeddingAndMergeRequestUnderTheRightKeys() {
        byte[] png = scene(0);
        List<ImageTask> batch = List.of(TestRecords.imageTask("post", 0, 2, png),
                TestRecords.imageTask("post", 1, 2, scene(1)));
        List<StageResult> results = stage.process(batch);
        assertThat(results).hasSize(2).allSatisfy(r -> assertThat(r.isFailure()).isFalse());
        List<Output<?>> out = results.get(0).outputs();
        String cacheKey = CacheKey.of(ImageTasks.sha256Hex(png), model.visionModelId());
        assertThat(out).extracting(o -> o.topic().name()).containsExactly(Topics.VISION_FEATURES.name(),
                Topics.IMAGE_EMBEDDINGS.name(), Topics.MERGE_REQUESTS.name());
        assertThat(out).extracting(Output::key).containsExactly(cacheKey, cacheKey, "post/0");

        VisionFeatures f = (VisionFeatures) out.get(0).value();
        int patches = model.merge().tokensPerImage();
        int dv = model.directory().config().vision().hiddenSize();
        int e = model.directory().config().vision().projectionDim();
        assertThat(TensorCodec.shape(f.getPatchFeatures())).containsExactly(patches, dv);
        assertThat(TensorCodec.shape(f.getImageEmbedding())).containsExactly(e);
        assertThat(f.getVisionModelId()).isEqualTo(model.visionModelId());
        assertThat(f.getImageSha256()).isEqualTo(ImageTasks.sha256Hex(png));
        assertThat(f.getVisionMs()).isPositive();
        float[] emb = TensorCodec.floats(f.getImageEmbedding());
        double norm = Math.sqrt(dot(emb, emb));
        assertThat(norm).isCloseTo(1, within(1e-5));

        io.llavastream.model.vision.VisionFeatures alone = model.vision().encode(model.pixelValues(png), 1);
        assertThat(f.getPatchFeatures().getDtype()).as("Zv in the default wire dtype").isEqualTo(DType.FP16);
        assertThat(f.getImageEmbedding().getDtype()).as("search's embedding stays exact").isEqualTo(DType.FP32);
        float largest = 0;
        for (float v : alone.patchFeatures(0)) {
            largest = Math.max(largest, Math.abs(v));
        }
        // FP16 keeps 11 significant bits: an error of at most half an ulp at the largest magnitude, 2^-11 of it
        assertClose(TensorCodec.floats(f.getPatchFeatures()), alone.patchFeatures(0), 1e-5 + largest / 2048);
        assertClose(emb, alone.normalizedEmbedding(0), 1e-5);

        ImageEmbedding ie = (ImageEmbedding) out.get(1).value();
        assertThat(ie.getEmbedding()).isEqualTo(f.getImageEmbedding());
        assertThat(ie.getPostId()).isEqualTo("post");
        assertThat(ie.getModelId()).isEqualTo(model.visionModelId());
        MergeRequest m = (MergeRequest) out.get(2).value();
        assertThat(m.getTask()).isEqualTo(batch.get(0).getTask());
        assertThat(m.getFeatures()).isEqualTo(f);
        assertThat(m.getCacheHit()).isFalse();
        assertThat(((ImageEmbedding) results.get(1).outputs().get(1).value()).getImageIndex()).isEqualTo(1);
    }

    @Test
    void aCorruptImageFailsAloneWithAnErrorAnswerWhileTheOthersSucceed() {
        byte[] good = scene(2);
        byte[] truncated = Arrays.copyOf(scene(3), 60);
        List<StageResult> results = stage.process(List.of(TestRecords.imageTask("p", 0, 3, good),
                TestRecords.imageTask("p", 1, 3, truncated), TestRecords.imageTask("p", 2, 3, scene(4))));
        assertThat(results).extracting(StageResult::isFailure).containsExactly(false, true, false);
        assertThat(results.get(0).outputs()).hasSize(3);
        assertThat(results.get(2).outputs()).hasSize(3);
        StageResult bad = results.get(1);
        assertThat(bad.failure().get().reason()).isEqualTo(DeadLetterReason.CORRUPT_IMAGE);
        assertThat(bad.failure().get().message()).startsWith("TRUNCATED");
        assertErrorAnswer(bad.outputs(), "p/1", "CORRUPT_IMAGE", model.modelId());
    }

    @Test
    void asAMachineEverythingSubmittedFinishesInOneStepWithItsTag() {
        VisionMachine m = new VisionMachine(parts, 2, CLOCK);
        assertThat(m.continuous()).isFalse();
        assertThat(m.capacity()).isEqualTo(2);
        m.submit("a", TestRecords.imageTask("s", 0, 2, scene(7)));
        m.submit("b", TestRecords.imageTask("s", 1, 2, Arrays.copyOf(scene(8), 50)));
        assertThat(m.inFlight()).isEqualTo(2);
        List<Finished> done = m.step();
        assertThat(done).extracting(Finished::tag).containsExactly("a", "b");
        assertThat(done.get(0).result().isFailure()).isFalse();
        assertThat(done.get(1).result().failure().get().reason()).isEqualTo(DeadLetterReason.CORRUPT_IMAGE);
        assertThat(m.inFlight()).isZero();
        assertThat(m.step()).isEmpty();
        m.submit("c", TestRecords.imageTask("s", 0, 1, scene(9)));
        m.cancel(List.of("c"));
        assertThat(m.inFlight()).isZero();
        assertThat(m.step()).isEmpty();
    }

    @Test
    void imageBytesThatDoNotMatchTheTaskHashAreRefusedSoTheCacheIsNotPoisoned() {
        ImageTask t = TestRecords.imageTask("h", 0, 1, scene(6));
        t.getTask().setImageSha256("0".repeat(64));
        StageResult r = stage.process(List.of(t)).get(0);
        assertThat(r.failure().get().reason()).isEqualTo(DeadLetterReason.IMAGE_HASH_MISMATCH);
        assertErrorAnswer(r.outputs(), "h/0", "IMAGE_HASH_MISMATCH", model.modelId());
    }

    @Test
    void tooManyPixelsIsAnOversizedImage() {
        assertThat(VisionMachine.reason(new InvalidImageException(InvalidImageException.Reason.TOO_MANY_PIXELS,
                "x"))).isEqualTo(DeadLetterReason.IMAGE_TOO_LARGE);
        assertThat(VisionMachine.reason(new InvalidImageException(InvalidImageException.Reason.NOT_AN_IMAGE,
                "x"))).isEqualTo(DeadLetterReason.CORRUPT_IMAGE);
    }

    static void assertErrorAnswer(List<Output<?>> outputs, String taskId, String errorType, String modelId) {
        assertThat(outputs).hasSize(1);
        assertThat(outputs.get(0).topic()).isEqualTo(Topics.ANSWERS);
        assertThat(outputs.get(0).key()).isEqualTo(taskId);
        Answer a = (Answer) outputs.get(0).value();
        assertThat(a.getFinishReason()).isEqualTo(FinishReason.ERROR);
        assertThat(a.getText()).isEmpty();
        assertThat(a.getTokenIds()).isEmpty();
        assertThat(a.getError()).startsWith(errorType + ": ");
        assertThat(a.getModelId()).isEqualTo(modelId);
        assertThat(a.getTask().getTaskId()).isEqualTo(taskId);
        assertThat(a.getCompletedAt()).isEqualTo(CLOCK.instant());
    }

    static void assertClose(float[] actual, float[] expected, double tolerance) {
        assertThat(actual).hasSameSizeAs(expected);
        double max = 0;
        for (int i = 0; i < actual.length; i++) {
            max = Math.max(max, Math.abs(actual[i] - expected[i]));
        }
        assertThat(max).isLessThanOrEqualTo(tolerance);
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
