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
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.MergeRequest;
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

    @Test
    void aRequestOfTheWrongShapeOrBytesFailsAtSubmitWithAnErrorAnswer() {
        DecodeRequest wrongShape = DecodeRequest.newBuilder(requests.get(0))
                .setInputsEmbeds(TensorCodec.fp32(new float[6], 2, 3)).build();
        DecodeRequest shortBytes = DecodeRequest.newBuilder(requests.get(1)).build();
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
        Generation alone = model.generator().generate(TensorCodec.floats(r.getInputsEmbeds()),
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
}
