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
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.schemas.Tensor;
import io.llavastream.tensor.WireDtype;
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
        return requests(model, WireDtype.defaultDtype(), prompts);
    }

    /** As {@link #requests(LlavaModel, String...)}, with Zv written as {@code wire}. */
    static List<MergeRequest> requests(LlavaModel model, DType wire, String... prompts) {
        List<ImageTask> tasks = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            ImageTask t = TestRecords.imageTask("m", i, prompts.length, VisionMachineTest.scene(20 + i));
            t.getTask().setPrompt(prompts[i]);
            tasks.add(t);
        }
        return new VisionMachine(model.visionParts(), 8, wire, CLOCK).process(tasks).stream()
                .map(r -> (MergeRequest) r.outputs().get(2).value()).toList();
    }

    /** The [T, D] prompt the decode stage builds from a request: its ids embedded, Hv written at its positions. */
    static float[] prompt(LlavaModel model, DecodeRequest r) {
        long[] ids = r.getInputIds().stream().mapToLong(Long::longValue).toArray();
        float[] embeds = model.embedder().embed(ids);
        float[] hv = TensorCodec.floats(r.getImageFeatures());
        int d = model.directory().config().text().hiddenSize();
        for (int i = 0; i < r.getImagePositions().size(); i++) {
            System.arraycopy(hv, i * d, embeds, r.getImagePositions().get(i) * d, d);
        }
        return embeds;
    }

    @Test
    void idsHvAndPositionsRebuildTheInProcessMergeForTheSamePromptAndImage() {
        String caption = PromptTemplate.captionPrompt();
        List<MergeRequest> batch = requests(model, DType.FP32, caption, QUESTION, caption);
        List<StageResult> results = new MergeMachine(parts, 8, DType.FP32, CLOCK).process(batch);
        int d = model.directory().config().text().hiddenSize();
        int p = model.directory().config().tokensPerImage();
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
            assertThat(r.getInputsEmbeds()).as("the [T, D] prompt no longer crosses Kafka").isNull();
            assertThat(r.getImageFeatures().getDtype()).isEqualTo(DType.FP32);
            assertThat(TensorCodec.shape(r.getImageFeatures())).containsExactly(p, d);
            assertThat(r.getImagePositions()).hasSize(p).allMatch(pos -> ids[pos] == model.directory().config()
                    .imageTokenIndex());
            VisionMachineTest.assertClose(prompt(model, r), expected, 1e-6);
            assertThat(r.getModelId()).isEqualTo(model.modelId());
            assertThat(r.getTask()).isEqualTo(batch.get(i).getTask());
            assertThat(r.getTimings().getVisionMs()).isEqualTo(batch.get(i).getFeatures().getVisionMs());
            assertThat(r.getTimings().getVisionCacheHit()).isFalse();
            assertThat(r.getTimings().getMergeMs()).isPositive();
        }
    }

    @Test
    void hvIsWrittenInTheWireDtypeAsTheCodecRoundsTheSameProjection() {
        MergeRequest in = requests(QUESTION).get(0);
        assertThat(in.getFeatures().getPatchFeatures().getDtype()).as("Zv, by default").isEqualTo(DType.FP16);
        DecodeRequest full = decodeRequest(new MergeMachine(parts, 8, DType.FP32, CLOCK), in);
        float[] hv = TensorCodec.floats(full.getImageFeatures());
        for (DType wire : List.of(DType.FP16, DType.BF16)) {
            Tensor written = decodeRequest(new MergeMachine(parts, 8, wire, CLOCK), in).getImageFeatures();
            assertThat(written.getDtype()).isEqualTo(wire);
            assertThat(written.getData()).as("%s bytes", wire)
                    .isEqualTo(TensorCodec.encode(wire, hv, TensorCodec.shape(full.getImageFeatures())).getData());
        }
        assertThat(decodeRequest(stage, in).getImageFeatures().getDtype()).as("the default").isEqualTo(DType.FP16);
    }

    private static DecodeRequest decodeRequest(MergeMachine m, MergeRequest in) {
        return (DecodeRequest) m.process(List.of(in)).get(0).outputs().get(0).value();
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
        MergeRequest in = requests(model, DType.FP32, QUESTION).get(0);
        MergeMachine fp32 = new MergeMachine(parts, 8, DType.FP32, CLOCK);
        float[] expected = TensorCodec.floats(decodeRequest(fp32, in).getImageFeatures());
        var f = in.getFeatures();
        f.setPatchFeatures(TensorCodec.fp16(TensorCodec.floats(f.getPatchFeatures()),
                TensorCodec.shape(f.getPatchFeatures())));
        float[] half = TensorCodec.floats(decodeRequest(fp32, in).getImageFeatures());
        VisionMachineTest.assertClose(half, expected, 0.05);
    }
}
