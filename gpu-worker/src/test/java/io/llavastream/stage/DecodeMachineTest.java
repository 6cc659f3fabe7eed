package io.llavastream.stage;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.DecodeParts;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.decode.Generation;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.Tensor;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decode machine on the demo model's decode parts alone: requests joining at different steps are answered as
 * the single-sequence generator answers them (a difference only where its top two logits lie within 1e-4), bad
 * requests fail at submit with an ERROR answer, and cancel and reset drop work.
 */
class DecodeMachineTest {
    static final int NEW_TOKENS = 12;
    static LlavaModel model;
    static DecodeParts parts;
    static List<DecodeRequest> requests;

    @BeforeAll
    static void load() {
        model = LlavaModel.load(ModelDirectory.bundled(), EngineOptions.cpu());
        parts = DecodeParts.load(ModelDirectory.bundled(), EngineOptions.cpu());
        String q = PromptTemplate.userTurn("what color is the shape on the left?");
        String c = PromptTemplate.captionPrompt();
        List<MergeRequest> merges = MergeMachineTest.requests(model, c, q, c, q, c);
        requests = new MergeMachine(model.mergeParts(), 8, MergeMachineTest.CLOCK).process(merges).stream()
                .map(r -> (DecodeRequest) r.outputs().get(0).value()).toList();
    }

    @AfterAll
    static void close() {
        parts.close();
        model.close();
    }

    private static DecodeMachine machine(int maxBatch) {
        return new DecodeMachine(parts, maxBatch, NEW_TOKENS, MergeMachineTest.CLOCK);
    }

    @Test
    void staggeredRequestsAreAnsweredAsTheGeneratorAnswersThemAlone() {
        Map<Object, Answer> answers = new HashMap<>();
        try (DecodeMachine m = machine(2)) {
            assertThat(m.continuous()).isTrue();
            assertThat(m.capacity()).isEqualTo(4);
            int next = 0;
            int steps = 0;
            while (next < requests.size() || m.inFlight() > 0) {
                if (next < requests.size() && steps % 2 == 0 && m.inFlight() < m.capacity()) {
                    m.submit(next, requests.get(next));
                    next++;
                }
                for (Finished f : m.step()) {
                    assertThat(f.result().isFailure()).isFalse();
                    Output<?> o = f.result().outputs().get(0);
                    assertThat(o.topic()).isEqualTo(Topics.ANSWERS);
                    assertThat(answers.put(f.tag(), (Answer) o.value())).isNull();
                }
                steps++;
            }
        }
        assertThat(answers).hasSize(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            DecodeRequest r = requests.get(i);
            Answer a = answers.get(i);
            assertThat(a.getTask()).isEqualTo(r.getTask());
            assertThat(a.getModelId()).isEqualTo(model.modelId());
            assertThat(a.getTimings().getMergeMs()).isEqualTo(r.getTimings().getMergeMs());
            assertThat(a.getTimings().getGeneratedTokens()).isEqualTo(a.getTokenIds().size());
            assertDecodesAsAlone(i, a);
        }
    }

    /** The request as a merge worker wrote it before image_features existed: the whole prompt, FP32. */
    static DecodeRequest legacy(DecodeRequest r) {
        float[] prompt = MergeMachineTest.prompt(model, r);
        return DecodeRequest.newBuilder(r).setImageFeatures(null).setImagePositions(List.of())
                .setInputsEmbeds(TensorCodec.fp32(prompt, r.getInputIds().size(), prompt.length
                        / r.getInputIds().size())).build();
    }

    @Test
    void aRecordWithTheWholePromptFromBeforeImageFeaturesIsStillDecodedToTheSameTokens() {
        Map<Object, Answer> answers = new HashMap<>();
        try (DecodeMachine m = machine(2)) {
            m.submit("new", requests.get(1));
            m.submit("old", legacy(requests.get(1)));
            while (m.inFlight() > 0) {
                m.step().forEach(f -> answers.put(f.tag(), (Answer) f.result().outputs().get(0).value()));
            }
        }
        assertThat(answers.get("old").getFinishReason()).isNotEqualTo(FinishReason.ERROR);
        assertThat(answers.get("old").getTokenIds()).isEqualTo(answers.get("new").getTokenIds());
    }

    @Test
    void anOldRecordWhoseInputsEmbedsHaveTheWrongShapeOrBytesFailsAtSubmitWithAnErrorAnswer() {
        DecodeRequest wrongShape = DecodeRequest.newBuilder(legacy(requests.get(0)))
                .setInputsEmbeds(TensorCodec.fp32(new float[6], 2, 3)).build();
        DecodeRequest shortBytes = legacy(requests.get(1));
        shortBytes.getInputsEmbeds().setData(ByteBuffer.allocate(8));
        try (DecodeMachine m = machine(2)) {
            m.submit("shape", wrongShape);
            m.submit("bytes", shortBytes);
            assertThat(m.inFlight()).isEqualTo(2);
            List<Finished> done = m.step();
            assertThat(done).extracting(Finished::tag).containsExactly("shape", "bytes");
            StageResult.Failure shape = done.get(0).result().failure().orElseThrow();
            assertThat(shape.reason()).isEqualTo(DeadLetterReason.BAD_DECODE_REQUEST);
            assertThat(shape.message()).contains("inputs_embeds has shape [2, 3], expected [");
            assertThat(done.get(1).result().failure().orElseThrow().reason()).isEqualTo(DeadLetterReason.BAD_TENSOR);
            Answer error = (Answer) done.get(0).result().outputs().get(0).value();
            assertThat(error.getFinishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(error.getError()).startsWith("BAD_DECODE_REQUEST: ");
            assertThat(error.getTask()).isEqualTo(wrongShape.getTask());
            assertThat(m.inFlight()).isZero();
        }
    }

    /** Submits {@code bad} alone and returns its failure, after checking it came with an ERROR answer. */
    private static StageResult.Failure refused(DecodeRequest bad, DeadLetterReason reason) {
        try (DecodeMachine m = machine(2)) {
            m.submit("bad", bad);
            List<Finished> done = m.step();
            assertThat(done).extracting(Finished::tag).containsExactly("bad");
            StageResult.Failure failure = done.get(0).result().failure().orElseThrow();
            assertThat(failure.reason()).isEqualTo(reason);
            Answer error = (Answer) done.get(0).result().outputs().get(0).value();
            assertThat(error.getFinishReason()).isEqualTo(FinishReason.ERROR);
            assertThat(error.getError()).startsWith(reason.name() + ": ");
            assertThat(error.getTask()).isEqualTo(bad.getTask());
            assertThat(m.inFlight()).isZero();
            return failure;
        }
    }

    private static DecodeRequest.Builder good() {
        return DecodeRequest.newBuilder(requests.get(0));
    }

    private static List<Long> ids(java.util.function.UnaryOperator<List<Long>> change) {
        return change.apply(new ArrayList<>(requests.get(0).getInputIds()));
    }

    private static List<Integer> positions(java.util.function.UnaryOperator<List<Integer>> change) {
        return change.apply(new ArrayList<>(requests.get(0).getImagePositions()));
    }

    @Test
    void aRequestWithBothTheWholePromptAndImageFeaturesIsRefused() {
        DecodeRequest both = good().setInputsEmbeds(legacy(requests.get(0)).getInputsEmbeds()).build();
        assertThat(refused(both, DeadLetterReason.BAD_DECODE_REQUEST).message())
                .contains("carries both inputs_embeds and image_features");
    }

    @Test
    void aRequestWithNeitherImageFeaturesNorInputsEmbedsIsRefused() {
        assertThat(refused(good().setImageFeatures(null).build(), DeadLetterReason.BAD_DECODE_REQUEST).message())
                .contains("has neither image_features nor inputs_embeds");
    }

    @Test
    void anIdOutsideTheVocabularyIsRefusedNamingItsIndexAndValue() {
        int vocab = model.directory().config().text().vocabSize();
        assertThat(refused(good().setInputIds(ids(l -> { l.set(3, (long) vocab); return l; })).build(),
                DeadLetterReason.BAD_DECODE_REQUEST).message())
                .contains("input_ids[3] = " + vocab + " is outside the vocabulary [0, " + vocab + ")");
        assertThat(refused(good().setInputIds(ids(l -> { l.set(0, -7L); return l; })).build(),
                DeadLetterReason.BAD_DECODE_REQUEST).message()).contains("input_ids[0] = -7 is outside");
    }

    @Test
    void anEmptyOrTooLongPromptIsRefused() {
        assertThat(refused(good().setInputIds(List.of()).setImagePositions(List.of()).build(),
                DeadLetterReason.BAD_DECODE_REQUEST).message()).contains("has no input ids");
        int context = model.directory().config().text().maxPositionEmbeddings();
        assertThat(refused(good().setInputIds(java.util.Collections.nCopies(context, 5L)).build(),
                DeadLetterReason.BAD_DECODE_REQUEST).message())
                .contains("prompt of " + context + " tokens leaves no room in the context of " + context);
    }

    @Test
    void anImagePositionOutsideThePromptIsRefusedNamingIt() {
        int t = requests.get(0).getInputIds().size();
        List<Integer> past = positions(l -> { l.set(l.size() - 1, t); return l; });
        assertThat(refused(good().setImagePositions(past).build(), DeadLetterReason.BAD_DECODE_REQUEST).message())
                .contains("image_positions[" + (past.size() - 1) + "] = " + t + " is outside the prompt's " + t
                        + " tokens");
        List<Integer> negative = positions(l -> { l.set(0, -1); return l; });
        assertThat(refused(good().setImagePositions(negative).build(), DeadLetterReason.BAD_DECODE_REQUEST)
                .message()).contains("image_positions[0] = -1 is outside");
    }

    @Test
    void imagePositionsOutOfOrderOrRepeatedAreRefused() {
        List<Integer> repeated = positions(l -> { l.set(2, l.get(1)); return l; });
        int p = repeated.get(1);
        assertThat(refused(good().setImagePositions(repeated).build(), DeadLetterReason.BAD_DECODE_REQUEST)
                .message()).contains("image_positions[2] = " + p + " does not follow image_positions[1] = " + p);
    }

    @Test
    void imageFeaturesWhoseRowsDisagreeWithThePositionsOrWidthAreRefused() {
        List<Integer> fewer = positions(l -> l.subList(0, l.size() - 1));
        int n = fewer.size() + 1;
        int d = model.directory().config().text().hiddenSize();
        assertThat(refused(good().setImagePositions(fewer).build(), DeadLetterReason.BAD_DECODE_REQUEST).message())
                .contains("image_features has shape [" + n + ", " + d + "], expected [" + (n - 1) + ", " + d
                        + "] for " + (n - 1) + " image positions");
        DecodeRequest wide = good().setImageFeatures(TensorCodec.fp16(new float[n * (d + 1)], n, d + 1)).build();
        assertThat(refused(wide, DeadLetterReason.BAD_DECODE_REQUEST).message())
                .contains("image_features has shape [" + n + ", " + (d + 1) + "], expected [" + n + ", " + d + "]");
    }

    @Test
    void imageFeaturesWithBadBytesOrNoDtypeAreABadTensor() {
        DecodeRequest shortBytes = good().build();
        shortBytes.setImageFeatures(new Tensor(DType.FP16, shortBytes.getImageFeatures().getShape(),
                ByteBuffer.allocate(10)));
        assertThat(refused(shortBytes, DeadLetterReason.BAD_TENSOR).message())
                .startsWith("image_features: tensor FP16[").contains("has 10");
        DecodeRequest noDtype = good().build();
        noDtype.setImageFeatures(new Tensor(null, noDtype.getImageFeatures().getShape(),
                noDtype.getImageFeatures().getData()));
        assertThat(refused(noDtype, DeadLetterReason.BAD_TENSOR).message())
                .contains("image_features: tensor has no dtype; expected one of [FP32, FP16, BF16]");
    }

    @Test
    void aCancelledRequestNeverComesBackAndTheOthersStillDecodeAsAlone() {
        Map<Object, Answer> finished = new HashMap<>();
        try (DecodeMachine m = machine(4)) {
            for (int i = 0; i < 5; i++) {  // four rows decoding, the fifth waiting for a row
                m.submit(i, requests.get(i));
            }
            m.step().forEach(f -> finished.put(f.tag(), (Answer) f.result().outputs().get(0).value()));
            assertThat(finished).as("captions take more than one step").doesNotContainKeys(0, 4);
            m.cancel(List.of(0, 4));  // one decoding, one still queued
            assertThat(m.inFlight()).isEqualTo(3 - finished.size());
            while (m.inFlight() > 0) {
                m.step().forEach(f -> finished.put(f.tag(), (Answer) f.result().outputs().get(0).value()));
            }
        }
        assertThat(finished).containsOnlyKeys(1, 2, 3);
        finished.forEach((i, a) -> assertDecodesAsAlone((Integer) i, a));
    }

    /** The answer has the tokens the generator gives alone, or differs only after a near tie (gap under 1e-4). */
    static void assertDecodesAsAlone(int i, Answer a) {
        DecodeRequest r = requests.get(i);
        Generation alone = model.generator().generate(MergeMachineTest.prompt(model, r),
                r.getInputIds().size(), SamplingParams.greedy(NEW_TOKENS));
        List<Long> expected = java.util.Arrays.stream(alone.tokenIds()).boxed().toList();
        if (!a.getTokenIds().equals(expected)) {
            float minGap = Float.MAX_VALUE;
            for (float g : alone.topTwoGaps()) {
                minGap = Math.min(minGap, g);
            }
            assertThat(minGap).as("request %d: %s vs alone %s", i, a.getTokenIds(), expected).isLessThan(1e-4f);
        } else {
            assertThat(a.getText()).isEqualTo(parts.tokenizer().decode(alone.tokenIds()));
        }
    }

    @Test
    void resetDropsEverythingAndTheMachineGoesOnFromAFreshState() {
        try (DecodeMachine m = machine(2)) {
            m.submit("a", requests.get(0));
            m.submit("b", requests.get(1));
            m.step();
            m.reset();
            assertThat(m.inFlight()).isZero();
            assertThat(m.step()).isEmpty();
            m.submit("c", requests.get(2));
            List<Finished> done = new ArrayList<>();
            while (m.inFlight() > 0) {
                done.addAll(m.step());
            }
            assertThat(done).extracting(Finished::tag).containsExactly("c");
        }
    }

    private static DecodeMachine streaming(int maxBatch) {
        return new DecodeMachine(parts, maxBatch, SamplingParams.greedy(NEW_TOKENS), true, MergeMachineTest.CLOCK);
    }

    /** Steps until nothing is in flight, collecting the answers by tag and every preview in order. */
    private static void drain(DecodeMachine m, Map<Object, Answer> answers, List<AnswerToken> previews) {
        while (m.inFlight() > 0) {
            for (Finished f : m.step()) {
                answers.put(f.tag(), (Answer) f.result().outputs().get(0).value());
            }
            for (Output<?> o : m.drainPreviews()) {
                assertThat(o.topic()).isEqualTo(Topics.ANSWER_TOKENS);
                assertThat(o.key()).isEqualTo(((AnswerToken) o.value()).getTaskId());
                previews.add((AnswerToken) o.value());
            }
        }
    }

    @Test
    void streamingMakesOneDeltaPerStepWhoseTextsConcatenateToTheAnswerAndOnlyTheLastIsFinal() {
        Map<Object, Answer> answers = new HashMap<>();
        List<AnswerToken> previews = new ArrayList<>();
        try (DecodeMachine m = streaming(2)) {
            m.submit(0, requests.get(0));
            m.step();
            for (Output<?> o : m.drainPreviews()) {  // the first token, from the prefill, before any other joins
                previews.add((AnswerToken) o.value());
            }
            assertThat(previews).as("one delta per step: the prefill's token and the step's")
                    .singleElement().satisfies(t -> {
                        assertThat(t.getSeq()).isZero();
                        assertThat(t.getTokenIds()).hasSize(2);
                    });
            for (int i = 1; i < 4; i++) {
                m.submit(i, requests.get(i));
            }
            drain(m, answers, previews);
            assertThat(m.drainPreviews()).isEmpty();
        }
        assertThat(answers).hasSize(4);
        Map<String, List<AnswerToken>> byStream = new java.util.LinkedHashMap<>();
        previews.forEach(t -> byStream.computeIfAbsent(t.getStreamId(), k -> new ArrayList<>()).add(t));
        assertThat(byStream).hasSize(4);
        for (int i = 0; i < 4; i++) {
            Answer a = answers.get(i);
            List<AnswerToken> stream = byStream.values().stream()
                    .filter(s -> s.get(0).getTaskId().equals(a.getTask().getTaskId()) && s.get(0).getSeq() == 0)
                    .filter(s -> s.stream().flatMap(t -> t.getTokenIds().stream()).toList().equals(a.getTokenIds()))
                    .findFirst().orElseThrow(() -> new AssertionError("no stream for answer " + a.getTokenIds()));
            assertThat(stream).extracting(AnswerToken::getSeq)
                    .containsExactlyElementsOf(java.util.stream.IntStream.range(0, stream.size()).boxed().toList());
            assertThat(stream).hasSize(Math.max(1, a.getTokenIds().size() - 1));  // the first step brings two ids
            assertThat(stream).extracting(AnswerToken::getFinal$).containsOnlyOnce(true).last().isEqualTo(true);
            assertThat(String.join("", stream.stream().map(AnswerToken::getDelta).toList())).isEqualTo(a.getText());
            assertThat(stream).allSatisfy(t -> {
                assertThat(t.getPostId()).isEqualTo(a.getTask().getPostId());
                assertThat(t.getModelId()).isEqualTo(a.getModelId());
                assertThat(t.getEmittedAt()).isEqualTo(MergeMachineTest.CLOCK.instant());
            });
        }
    }

    @Test
    void aRequestSubmittedAgainAfterAResetStreamsUnderANewStreamIdFromSeqZero() {
        List<AnswerToken> first = new ArrayList<>();
        Map<Object, Answer> answers = new HashMap<>();
        List<AnswerToken> again = new ArrayList<>();
        try (DecodeMachine m = streaming(2)) {
            m.submit("a", requests.get(0));
            m.step();
            m.step();
            m.drainPreviews().forEach(o -> first.add((AnswerToken) o.value()));  // two steps, two deltas
            assertThat(first).extracting(AnswerToken::getSeq).containsExactly(0, 1);
            m.step();
            m.reset();
            assertThat(m.drainPreviews()).as("the reset run's undrained deltas are dropped").isEmpty();
            m.submit("a", requests.get(0));
            drain(m, answers, again);
        }
        assertThat(again.get(0).getSeq()).isZero();
        assertThat(again).extracting(AnswerToken::getStreamId).containsOnly(again.get(0).getStreamId())
                .doesNotContain(first.get(0).getStreamId());
        assertThat(String.join("", again.stream().map(AnswerToken::getDelta).toList()))
                .isEqualTo(answers.get("a").getText());
    }

    @Test
    void aMachineNotBuiltToStreamMakesNoPreviews() {
        try (DecodeMachine m = machine(2)) {
            m.submit("a", requests.get(0));
            while (m.inFlight() > 0) {
                m.step();
                assertThat(m.drainPreviews()).isEmpty();
            }
        }
    }

    /** The same request with TaskRef.adapter = {@code adapter}. */
    static DecodeRequest withAdapter(DecodeRequest r, String adapter) {
        DecodeRequest copy = DecodeRequest.newBuilder(r).build();
        copy.setTask(io.llavastream.schemas.TaskRef.newBuilder(r.getTask()).setAdapter(adapter).build());
        return copy;
    }

    @Test
    void requestsOfDifferentAdaptersShareABatchEachAnswerTaggedAndAnUnknownAdapterIsABadDecodeRequest() {
        Map<Object, Finished> done = new HashMap<>();
        try (DecodeParts withAdapters = DecodeParts.load(ModelDirectory.open(ModelDirectory.bundled()),
                EngineOptions.cpu(), io.llavastream.model.adapter.AdapterSpecs.parse(List.of("catalog"),
                        ModelDirectory.bundled()));
             DecodeMachine m = new DecodeMachine(withAdapters, 4, 32, MergeMachineTest.CLOCK)) {
            m.submit("base", requests.get(0));
            m.submit("catalog", withAdapter(requests.get(0), "catalog"));
            m.submit("unknown", withAdapter(requests.get(0), "legal"));
            while (m.inFlight() > 0) {
                m.step().forEach(f -> done.put(f.tag(), f));
            }
        }
        Answer base = (Answer) done.get("base").result().outputs().get(0).value();
        Answer catalog = (Answer) done.get("catalog").result().outputs().get(0).value();
        assertThat(base.getAdapter()).isEmpty();
        assertThat(base.getText()).startsWith("a ");
        assertThat(catalog.getAdapter()).isEqualTo("catalog");
        assertThat(catalog.getModelId()).isEqualTo(base.getModelId());
        assertThat(catalog.getText()).startsWith("shape : ");
        Finished unknown = done.get("unknown");
        assertThat(unknown.result().isFailure()).isTrue();
        assertThat(unknown.result().failure().orElseThrow().reason()).isEqualTo(DeadLetterReason.BAD_DECODE_REQUEST);
        assertThat(unknown.result().failure().orElseThrow().message()).contains("unknown adapter 'legal'")
                .contains("[catalog]");
        assertThat(((Answer) unknown.result().outputs().get(0).value()).getFinishReason())
                .isEqualTo(FinishReason.ERROR);
    }
}
