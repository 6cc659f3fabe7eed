package io.llavastream.stage;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.ImageTask;
import io.llavastream.worker.TestRecords;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** A step that throws fails only the input that fails alone; the machine starts over from a fresh state. */
class IsolatingMachineTest {
    static ImageTask task(String id, String contentType) {
        ImageTask t = TestRecords.imageTask(id, 0, 1, new byte[] {1});
        t.setContentType(contentType);
        return t;
    }

    static Map<Object, String> texts(List<Finished> done) {
        return done.stream().collect(Collectors.toMap(Finished::tag,
                f -> ((Answer) f.result().outputs().get(0).value()).getText()));
    }

    @Test
    void aBatchThatThrowsIsRunAgainOneByOneAndOnlyTheCulpritIsAStageError() {
        TestRecords.EchoMachine inner = new TestRecords.EchoMachine(8);
        IsolatingMachine<ImageTask> m = new IsolatingMachine<>(inner);
        m.submit(1, task("a", "x"));
        m.submit(2, task("b", "throw"));
        m.submit(3, task("c", "y"));
        List<Finished> done = m.step();
        assertThat(inner.batchSizes).containsExactly(3, 1, 1, 1);
        assertThat(texts(done)).isEqualTo(Map.of(1, "x", 2, "error:STAGE_ERROR", 3, "y"));
        StageResult.Failure f = done.stream().filter(d -> d.tag().equals(2)).findFirst().orElseThrow().result()
                .failure().orElseThrow();
        assertThat(f.reason()).isEqualTo(DeadLetterReason.STAGE_ERROR);
        assertThat(f.message()).contains("boom on b/0");
        assertThat(m.isolations()).isEqualTo(1);
        assertThat(m.inFlight()).isZero();
    }

    @Test
    void aTransientThrowFailsNobody() {
        IsolatingMachine<ImageTask> m = new IsolatingMachine<>(new TestRecords.EchoMachine(8));
        m.submit("a", task("a", "x"));
        m.submit("b", task("b", "throw-once"));
        assertThat(texts(m.step())).isEqualTo(Map.of("a", "x", "b", "throw-once"));
    }

    @Test
    void aContinuousMachineIsResetAndEachRunningInputRerunToItsEndAlone() {
        TestRecords.SlowEchoMachine inner = new TestRecords.SlowEchoMachine(8);
        IsolatingMachine<ImageTask> m = new IsolatingMachine<>(inner);
        m.submit("slow", task("s", "steps:3"));
        assertThat(m.step()).isEmpty();
        m.submit("bad", task("b", "throw"));
        m.submit("quick", task("q", "q"));
        List<Finished> done = m.step();  // "bad" throws: everything in flight is rerun alone from scratch
        assertThat(inner.resets).isGreaterThanOrEqualTo(2);  // once for the batch, once after the culprit
        assertThat(texts(done)).isEqualTo(Map.of("slow", "steps:3", "bad", "error:STAGE_ERROR", "quick", "q"));
        assertThat(m.inFlight()).isZero();
    }

    @Test
    void anInputWhoseSubmitThrowsFinishesAsAStageErrorAtTheNextStep() {
        TestRecords.SlowEchoMachine inner = new TestRecords.SlowEchoMachine(8);
        IsolatingMachine<ImageTask> m = new IsolatingMachine<>(inner);
        m.submit("bad", task("b", "steps:x"));  // the machine cannot parse its step count
        m.submit("good", task("g", "g"));
        assertThat(m.inFlight()).isEqualTo(2);
        List<Finished> done = m.step();
        assertThat(texts(done)).isEqualTo(Map.of("bad", "error:STAGE_ERROR", "good", "g"));
        assertThat(done.get(0).result().failure().orElseThrow().message()).startsWith("submit: ")
                .contains("NumberFormatException");
        assertThat(m.inFlight()).isZero();
    }

    @Test
    void cancelledInputsDoNotComeBackEvenWhenIsolated() {
        IsolatingMachine<ImageTask> m = new IsolatingMachine<>(new TestRecords.EchoMachine(8));
        m.submit("a", task("a", "x"));
        m.submit("b", task("b", "throw"));
        m.cancel(List.of("b"));
        assertThat(texts(m.step())).isEqualTo(Map.of("a", "x"));
    }
}
