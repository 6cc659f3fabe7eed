package io.llavastream.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageTask;
import io.llavastream.stage.Finished;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class SimDecodeMachineTest {
    private static final TensorSizes TINY = new TensorSizes(16, 4, 8, 16, 4, 3);
    private static final ScaleModel MODEL = new ScaleModel(new LatencyModel(0, 0), 2, new LatencyModel(0, 0), 2,
            new LatencyModel(1, 1), 2, 2, 3, TINY);

    @Test
    void requestsJoinAsRowsFreeUpAndEachLeavesOnceAfterItsAnswerTokens() {
        ScalePayloads payloads = new ScalePayloads(TINY);
        AtomicLong busy = new AtomicLong();
        SimDecodeMachine m = new SimDecodeMachine(payloads, MODEL, new SimulatedGpu(0, busy), new StageBusy(),
                Clock.systemUTC());
        for (int i = 0; i < 3; i++) {
            m.submit("t" + i, request(payloads, i));
        }
        assertThat(m.inFlight()).isEqualTo(3);
        assertThat(m.capacity()).isEqualTo(4);
        List<Object> done = new ArrayList<>();
        List<Integer> doneAtStep = new ArrayList<>();
        for (int step = 1; step <= 6; step++) {
            for (Finished f : m.step()) {
                done.add(f.tag());
                doneAtStep.add(step);
                Answer a = (Answer) f.result().outputs().get(0).value();
                assertThat(a.getTokenIds()).hasSize(3);
                assertThat(a.getTimings().getGeneratedTokens()).isEqualTo(3);
            }
        }
        // two rows run steps 1-3; the third joins at step 4 and leaves after step 6
        assertThat(done).containsExactly("t0", "t1", "t2");
        assertThat(doneAtStep).containsExactly(3, 3, 6);
        assertThat(m.inFlight()).isZero();
    }

    @Test
    void aCancelledRequestNeverComesBack() {
        ScalePayloads payloads = new ScalePayloads(TINY);
        SimDecodeMachine m = new SimDecodeMachine(payloads, MODEL, new SimulatedGpu(0, new AtomicLong()),
                new StageBusy(), Clock.systemUTC());
        m.submit("a", request(payloads, 0));
        m.submit("b", request(payloads, 1));
        m.step();
        m.cancel(List.of("a"));
        List<Object> done = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            m.step().forEach(f -> done.add(f.tag()));
        }
        assertThat(done).containsExactly("b");
    }

    private static DecodeRequest request(ScalePayloads payloads, int i) {
        ImageTask t = payloads.imageTask("task-" + i, i, Instant.EPOCH);
        return payloads.decodeRequest(payloads.mergeRequest(t.getTask(), payloads.visionFeatures(t.getTask(), 1)), 1);
    }
}
