package io.llavastream.stage;

import io.llavastream.tensor.TensorCodec;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EncodedImages;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.MergeParts;
import io.llavastream.model.ModelDirectory;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.topics.Topics;
import io.llavastream.worker.TestRecords;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The merge machine on the bundled demo model's merge parts alone, against the in-process runtime. */
class MergeMachineTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);
    static final String QUESTION = PromptTemplate.userTurn("what color is the shape on the left?");
    static LlavaModel model;
    static MergeParts parts;
    static MergeMachine stage;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.cpu());
        parts = MergeParts.load(ModelDirectory.bundled(), EngineOptions.cpu());
        stage = new MergeMachine(parts, 8, CLOCK);
    }

    @AfterAll
    static void close() {
        parts.close();
        model.close();
    }

    /** Merge requests made by the vision stage, one per scene, with the given prompts. */
    static List<MergeRequest> requests(String... prompts) {
        return requests(model, prompts);
    }

    /** Merge requests made by a vision machine over {@code model}, one per scene, with the given prompts. */
    static List<MergeRequest> requests(LlavaModel model, String... prompts) {
        List<ImageTask> tasks = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            ImageTask t = TestRecords.imageTask("m", i, prompts.length, VisionMachineTest.scene(20 + i));
            t.getTask().setPrompt(prompts[i]);
            tasks.add(t);
        }
        return new VisionMachine(model.visionParts(), 8, CLOCK).process(tasks).stream()
                .map(r -> (MergeRequest) r.outputs().get(2).value()).toList();
    }

    @Test
    void inputsEmbedsEqualTheInProcessMergeForTheSamePromptAndImage() {
        String caption = PromptTemplate.captionPrompt();
        List<MergeRequest> batch = requests(caption, QUESTION, caption);
        List<StageResult> results = stage.process(batch);
        int d = model.directory().config().text().hiddenSize();
        for (int i = 0; i < batch.size(); i++) {
            assertThat(results.get(i).isFailure()).isFalse();
            Output<?> out = results.get(i).outputs().get(0);
            assertThat(out.topic()).isEqualTo(Topics.DECODE_REQUESTS);
            assertThat(out.key()).isEqualTo("m/" + i);
            DecodeRequest r = (DecodeRequest) out.value();
            String prompt = batch.get(i).getTask().getPrompt();

            long[] ids = model.merge().expand(model.tokenizer().encode(prompt), 1);
            EncodedImages enc = model.encode(model.pixelValues(VisionMachineTest.scene(20 + i)), 1);
            float[] expected = model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage());

            assertThat(r.getInputIds()).containsExactlyElementsOf(java.util.Arrays.stream(ids).boxed().toList());
            assertThat(TensorCodec.shape(r.getInputsEmbeds())).containsExactly(ids.length, d);
            VisionMachineTest.assertClose(TensorCodec.floats(r.getInputsEmbeds()), expected, 1e-6);
            assertThat(r.getModelId()).isEqualTo(model.modelId());
            assertThat(r.getTask()).isEqualTo(batch.get(i).getTask());
            assertThat(r.getTimings().getVisionMs()).isEqualTo(batch.get(i).getFeatures().getVisionMs());
            assertThat(r.getTimings().getVisionCacheHit()).isFalse();
            assertThat(r.getTimings().getMergeMs()).isPositive();
        }
    }

    @Test
    void aPromptWithoutImageFailsAloneWithAnErrorAnswer() {
        List<MergeRequest> batch = requests(PromptTemplate.captionPrompt(), "USER: no image here ASSISTANT:");
        List<StageResult> results = stage.process(batch);
        assertThat(results).extracting(StageResult::isFailure).containsExactly(false, true);
        assertThat(results.get(1).failure().get().reason()).isEqualTo(DeadLetterReason.BAD_PROMPT);
        assertThat(results.get(1).failure().get().message()).startsWith("NO_IMAGE_TOKEN: prompt has no <image>");
        VisionMachineTest.assertErrorAnswer(results.get(1).outputs(), "m/1", "BAD_PROMPT", model.modelId());
    }

    @Test
    void aCacheHitChargesNoVisionTime() {
        MergeRequest in = requests(QUESTION).get(0);
        in.setCacheHit(true);
        DecodeRequest r = (DecodeRequest) stage.process(List.of(in)).get(0).outputs().get(0).value();
        assertThat(r.getTimings().getVisionCacheHit()).isTrue();
        assertThat(r.getTimings().getVisionMs()).isZero();
    }

    @Test
    void featuresOfAnotherModelOrShapeAreRefused() {
        List<MergeRequest> batch = requests(QUESTION, QUESTION, QUESTION, QUESTION);
        batch.get(0).getFeatures().setVisionModelId("someone/else");
        batch.get(1).getFeatures().setPatchFeatures(TensorCodec.fp32(new float[6], 2, 3));
        batch.get(3).getFeatures().getPatchFeatures().setData(java.nio.ByteBuffer.allocate(12));  // bytes != shape
        List<StageResult> results = stage.process(batch);
        assertThat(results).extracting(r -> r.failure().map(f -> f.reason().name()).orElse("ok"))
                .containsExactly("MODEL_MISMATCH", "BAD_TENSOR", "ok", "BAD_TENSOR");
        VisionMachineTest.assertErrorAnswer(results.get(1).outputs(), "m/1", "BAD_TENSOR", model.modelId());
    }

    @Test
    void fp16FeaturesAreAcceptedAndLandCloseToFp32() {
        MergeRequest in = requests(QUESTION).get(0);
        float[] expected = TensorCodec.floats(((DecodeRequest) stage.process(List.of(in)).get(0).outputs().get(0)
                .value()).getInputsEmbeds());
        var f = in.getFeatures();
        f.setPatchFeatures(TensorCodec.fp16(TensorCodec.floats(f.getPatchFeatures()),
                TensorCodec.shape(f.getPatchFeatures())));
        float[] half = TensorCodec.floats(((DecodeRequest) stage.process(List.of(in)).get(0).outputs().get(0)
                .value()).getInputsEmbeds());
        VisionMachineTest.assertClose(half, expected, 0.05);
    }
}
