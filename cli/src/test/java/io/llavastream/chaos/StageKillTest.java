package io.llavastream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of each stage worker and of the topology, each a JVM of its own, each while it had work in flight
 * (records read beyond what its group had committed, or a transaction left open), each restarted with its
 * instance id: every post and every answer comes out exactly once (read_committed).
 */
class StageKillTest {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void killingEachStageWorkerAndTheTopologyMidWorkLosesNothingAndDuplicatesNothing() throws Exception {
        List<String> targets = List.of("vision", "merge", "decode", "topology");
        ChaosReport r = ChaosTestSupport.run(ChaosTestSupport.options(work, 40, targets.size(), targets, 0,
                Duration.ZERO, false));

        assertThat(r.kills()).extracting(KillRecord::target)
                .containsExactly("vision-0", "merge-0", "decode-0", "topology-0");
        assertThat(r.kills()).allSatisfy(k -> {
            assertThat(k.inFlight()).as("kill %d of %s in flight: %s", k.index(), k.target(), k).isTrue();
            assertThat(k.restartMs()).as("%s running again", k.target()).isNotNegative();
        });
        assertThat(r.postsIn()).isEqualTo(40);
        assertThat(r.lost()).isEmpty();
        assertThat(r.lostAnswers()).isEmpty();
        assertThat(r.duplicatedPosts()).isZero();
        assertThat(r.duplicatedAnswers()).isZero();
        assertThat(r.deadLettersByReason()).isEmpty();
        assertThat(r.processes()).allSatisfy(p -> assertThat(p.up()).as(p.name()).isTrue());
        assertThat(r.failures()).isEmpty();
    }
}
