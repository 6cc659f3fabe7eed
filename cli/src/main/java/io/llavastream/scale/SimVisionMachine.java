package io.llavastream.scale;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.stage.BatchMachine;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageResult;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * SIMULATED vision stage: waits the modelled CLIP time for its batch, then writes, like the real vision stage, the
 * features to the vision cache (Zv 576 x 1024 fp16, keyed by cache key) and a merge request carrying them (keyed by
 * task id). It neither decodes the image nor checks it.
 *
 * <p>Reads {@link Topics#BENCH_SCALE_VISION_REQUESTS}; writes {@link Topics#BENCH_SCALE_VISION_FEATURES},
 * {@link Topics#BENCH_SCALE_MERGE_REQUESTS} and, for a failed task, {@link Topics#BENCH_SCALE_ANSWERS}.
 */
final class SimVisionMachine extends BatchMachine<ImageTask> {
    private final ScalePayloads payloads;
    private final LatencyModel latency;
    private final SimulatedGpu gpu;
    private final Clock clock;

    SimVisionMachine(ScalePayloads payloads, LatencyModel latency, int maxBatch, SimulatedGpu gpu, Clock clock) {
        super(maxBatch);
        this.payloads = payloads;
        this.latency = latency;
        this.gpu = gpu;
        this.clock = clock;
    }

    @Override
    public StageName stage() {
        return StageName.VISION;
    }

    @Override
    public Topic<ImageTask> input() {
        return Topics.BENCH_SCALE_VISION_REQUESTS;
    }

    @Override
    public List<StageResult> process(List<ImageTask> batch) {
        double ms = latency.ms(batch.size());
        gpu.run(ms);
        List<StageResult> results = new ArrayList<>(batch.size());
        for (ImageTask t : batch) {
            TaskRef task = t.getTask();
            VisionFeatures f = payloads.visionFeatures(task, ms / batch.size());
            results.add(StageResult.ok(List.of(
                    new Output<>(Topics.BENCH_SCALE_VISION_FEATURES, payloads.cacheKey(task), f),
                    new Output<>(Topics.BENCH_SCALE_MERGE_REQUESTS, task.getTaskId(),
                            payloads.mergeRequest(task, f)))));
        }
        return results;
    }

    @Override
    public StageResult failed(ImageTask input, DeadLetterReason reason, String message) {
        return StageResult.failed(reason, message, List.of(new Output<>(Topics.BENCH_SCALE_ANSWERS,
                input.getTask().getTaskId(), payloads.errorAnswer(input.getTask(), reason, message, clock.instant()))));
    }
}
