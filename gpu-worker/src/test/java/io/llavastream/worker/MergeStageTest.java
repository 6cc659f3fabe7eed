package io.llavastream.worker;

import io.llavastream.tensor.TensorCodec;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.EncodedImages;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The merge stage on the bundled demo model, against the in-process runtime. */
class MergeStageTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);
    static final String QUESTION = PromptTemplate.userTurn("what color is the shape on the left?");
    static LlavaModel model;
    static MergeStage stage;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.cpu());
        stage = new MergeStage(model, CLOCK);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Merge requests made by the vision stage, one per scene, with the given prompts. */
    static List<Input<MergeRequest>> requests(String... prompts) {
        List<Input<io.llavastream.schemas.ImageTask>> tasks = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            Input<io.llavastream.schemas.ImageTask> t = TestRecords.imageTask("m", i, prompts.length,
                    VisionStageTest.scene(20 + i));
            t.value().getTask().setPrompt(prompts[i]);
            tasks.add(t);
        }
        return new VisionStage(model, CLOCK).process(tasks).stream().map(r -> {
            Output<?> m = r.outputs().get(2);
            return new Input<>(m.key(), (MergeRequest) m.value());
        }).toList();
    }

    @Test
    void inputsEmbedsEqualTheInProcessMergeForTheSamePromptAndImage() {
        String caption = PromptTemplate.captionPrompt();
        List<Input<MergeRequest>> batch = requests(caption, QUESTION, caption);
        List<StageResult> results = stage.process(batch);
        int d = model.directory().config().text().hiddenSize();
        for (int i = 0; i < batch.size(); i++) {
            assertThat(results.get(i).isFailure()).isFalse();
            Output<?> out = results.get(i).outputs().get(0);
            assertThat(out.topic()).isEqualTo(Topics.DECODE_REQUESTS);
            assertThat(out.key()).isEqualTo("m/" + i);
            DecodeRequest r = (DecodeRequest) out.value();
            String prompt = batch.get(i).value().getTask().getPrompt();

            long[] ids = model.merge().expand(model.tokenizer().encode(prompt), 1);
            EncodedImages enc = model.encode(model.pixelValues(VisionStageTest.scene(20 + i)), 1);
            float[] expected = model.merge().scatter(ids, model.embedder().embed(ids), enc.perImage());

            assertThat(r.getInputIds()).containsExactlyElementsOf(java.util.Arrays.stream(ids).boxed().toList());
            assertThat(TensorCodec.shape(r.getInputsEmbeds())).containsExactly(ids.length, d);
            VisionStageTest.assertClose(TensorCodec.floats(r.getInputsEmbeds()), expected, 1e-6);
            assertThat(r.getModelId()).isEqualTo(model.modelId());
            assertThat(r.getTask()).isEqualTo(batch.get(i).value().getTask());
            assertThat(r.getTimings().getVisionMs()).isEqualTo(batch.get(i).value().getFeatures().getVisionMs());
            assertThat(r.getTimings().getVisionCacheHit()).isFalse();
            assertThat(r.getTimings().getMergeMs()).isPositive();
        }
    }

    @Test
    void aPromptWithoutImageFailsAloneWithAnErrorAnswer() {
        List<Input<MergeRequest>> batch = requests(PromptTemplate.captionPrompt(), "USER: no image here ASSISTANT:");
        List<StageResult> results = stage.process(batch);
        assertThat(results).extracting(StageResult::isFailure).containsExactly(false, true);
        assertThat(results.get(1).failure().get().errorType()).isEqualTo("NO_IMAGE_TOKEN", model.modelId());
        VisionStageTest.assertErrorAnswer(results.get(1).outputs(), "m/1", "NO_IMAGE_TOKEN", model.modelId());
    }

    @Test
    void aCacheHitChargesNoVisionTime() {
        Input<MergeRequest> in = requests(QUESTION).get(0);
        in.value().setCacheHit(true);
        DecodeRequest r = (DecodeRequest) stage.process(List.of(in)).get(0).outputs().get(0).value();
        assertThat(r.getTimings().getVisionCacheHit()).isTrue();
        assertThat(r.getTimings().getVisionMs()).isZero();
    }

    @Test
    void featuresOfAnotherModelOrShapeAreRefused() {
        List<Input<MergeRequest>> batch = requests(QUESTION, QUESTION, QUESTION);
        batch.get(0).value().getFeatures().setVisionModelId("someone/else");
        batch.get(1).value().getFeatures().setPatchFeatures(TensorCodec.fp32(new float[6], 2, 3));
        List<StageResult> results = stage.process(batch);
        assertThat(results).extracting(r -> r.failure().map(StageResult.Failure::errorType).orElse("ok"))
                .containsExactly("MODEL_MISMATCH", "BAD_FEATURES", "ok");
        VisionStageTest.assertErrorAnswer(results.get(1).outputs(), "m/1", "BAD_FEATURES", model.modelId());
    }

    @Test
    void fp16FeaturesAreAcceptedAndLandCloseToFp32() {
        Input<MergeRequest> in = requests(QUESTION).get(0);
        float[] expected = TensorCodec.floats(((DecodeRequest) stage.process(List.of(in)).get(0).outputs().get(0)
                .value()).getInputsEmbeds());
        var f = in.value().getFeatures();
        f.setPatchFeatures(TensorCodec.fp16(TensorCodec.floats(f.getPatchFeatures()),
                TensorCodec.shape(f.getPatchFeatures())));
        float[] half = TensorCodec.floats(((DecodeRequest) stage.process(List.of(in)).get(0).outputs().get(0)
                .value()).getInputsEmbeds());
        VisionStageTest.assertClose(half, expected, 0.05);
    }
}
