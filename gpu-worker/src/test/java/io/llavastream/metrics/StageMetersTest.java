package io.llavastream.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.worker.WorkerStats;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
}
