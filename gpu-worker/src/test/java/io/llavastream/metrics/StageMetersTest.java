package io.llavastream.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.worker.WorkerStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The stage meters read a worker's counts; the embedded-broker test (cli MetricsEndpointTest) moves them. */
class StageMetersTest {
    @Test
    void everyDeadLetterReasonHasACounterTaggedWithStageAndModelStartingAtZero() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WorkerStats stats = new WorkerStats();  // held: meters keep only a weak reference, as Micrometer does
        new StageMeters(stats, "merge", "m-1").bindTo(registry);
        for (DeadLetterReason r : DeadLetterReason.values()) {
            assertThat(registry.get("llava.dead.letters").tag("reason", r.name()).tag("stage", "merge")
                    .tag("model_id", "m-1").functionCounter().count()).isZero();
        }
        assertThat(registry.get("llava.requests.completed").tag("stage", "merge").functionCounter().count())
                .isZero();
        assertThat(registry.get("llava.requests.running").tag("stage", "merge").gauge().value()).isZero();
        assertThat(stats.snapshot().records()).isZero();
    }

    @Test
    void computeStepsFeedTheBatchSizeAndComputeTimeAndSubmitsTheQueueTime() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        WorkerStats stats = new WorkerStats();
        StageMeters meters = new StageMeters(stats, "vision", "m-1");
        meters.bindTo(registry);
        meters.stepped(4, 2_000_000);
        meters.stepped(2, 1_000_000);
        meters.queued(1500);
        assertThat(registry.get("llava.batch.size").summary().count()).isEqualTo(2);
        assertThat(registry.get("llava.batch.size").summary().totalAmount()).isEqualTo(6);
        assertThat(registry.get("llava.stage.compute.time").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(3);
        assertThat(registry.get("llava.request.queue.time").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(1500);
        assertThat(registry.get("llava.time.to.first.token").timer().count()).isZero();
    }

    @Test
    void theDurationBucketsAreOpenTelemetryGenAisFrom10MsDoublingTo81Seconds() {
        assertThat(StageMeters.DURATION_BUCKETS).hasSize(14);
        assertThat(StageMeters.DURATION_BUCKETS[0].toMillis()).isEqualTo(10);
        assertThat(StageMeters.DURATION_BUCKETS[13].toMillis()).isEqualTo(81_920);
    }
}
