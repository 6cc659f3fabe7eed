package io.llavastream.scale;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.stage.BatchMachine;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageResult;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * SIMULATED merge stage (projector and token merge): waits the modelled time for its batch, then writes each
 * task's decode request with Hv 576 x 4096 fp16 ({@link ScalePayloads#decodeRequest}), keyed by task id.
 *
 * <p>Reads {@link Topics#BENCH_SCALE_MERGE_REQUESTS}; writes {@link Topics#BENCH_SCALE_DECODE_REQUESTS} and, for a
 * failed task, {@link Topics#BENCH_SCALE_ANSWERS}.
 */
final class SimMergeMachine extends BatchMachine<MergeRequest> {
    private final ScalePayloads payloads;
    private final LatencyModel latency;
    private final SimulatedGpu gpu;
    private final Clock clock;

    SimMergeMachine(ScalePayloads payloads, LatencyModel latency, int maxBatch, SimulatedGpu gpu, Clock clock) {
        super(maxBatch);
        this.payloads = payloads;
        this.latency = latency;
        this.gpu = gpu;
        this.clock = clock;
    }

    @Override
    public StageName stage() {
        return StageName.MERGE;
    }

    @Override
    public Topic<MergeRequest> input() {
        return Topics.BENCH_SCALE_MERGE_REQUESTS;
    }

    @Override
    public List<StageResult> process(List<MergeRequest> batch) {
        double ms = latency.ms(batch.size());
        gpu.run(ms);
        List<StageResult> results = new ArrayList<>(batch.size());
        for (MergeRequest r : batch) {
            results.add(StageResult.ok(List.of(new Output<>(Topics.BENCH_SCALE_DECODE_REQUESTS,
                    r.getTask().getTaskId(), payloads.decodeRequest(r, ms / batch.size())))));
        }
        return results;
    }

    @Override
    public StageResult failed(MergeRequest input, DeadLetterReason reason, String message) {
        return StageResult.failed(reason, message, List.of(new Output<>(Topics.BENCH_SCALE_ANSWERS,
                input.getTask().getTaskId(), payloads.errorAnswer(input.getTask(), reason, message, clock.instant()))));
    }
}
