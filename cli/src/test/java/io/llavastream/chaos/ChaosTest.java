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
 * The chaos test at CI size (the full size is {@code ./llava-stream chaos}, see docs/reliability.md): the
 * multi-process pipeline takes 60 posts while 4 random stage workers are killed with SIGKILL mid-work, the broker
 * restarts once on its data directory, and the whole hostile corpus lands on every topic a process reads.
 */
class ChaosTest {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void killsABrokerRestartAndTheHostileCorpusLoseNothingDuplicateNothingAndStopNothing() throws Exception {
        ChaosReport r = ChaosTestSupport.run(ChaosTestSupport.options(work, 60, 4, List.of(), 1, Duration.ZERO,
                true));

        assertThat(r.postsIn()).isEqualTo(60);
        assertThat(r.lost()).as("lost posts").isEmpty();
        assertThat(r.duplicatedPosts()).isZero();
        assertThat(r.duplicatedAnswers()).isZero();
        assertThat(r.validDeadLetters()).as("dead letters of valid posts").isZero();
        assertThat(r.kills()).hasSize(4).allSatisfy(k -> assertThat(k.inFlight()).as("%s", k).isTrue());
        assertThat(r.brokerRestarts()).hasSize(1);
        assertThat(r.hostile()).hasSizeGreaterThanOrEqualTo(30)
                .allSatisfy(h -> assertThat(h.ok()).as("%s: expected %s, got %s", h.name(), h.expected(), h.got())
                        .isTrue());
        assertThat(r.postsAfterHostile()).isPositive();
        assertThat(r.postsAfterHostileCaptioned()).isEqualTo(r.postsAfterHostile());
        assertThat(r.processes()).allSatisfy(p -> assertThat(p.up()).as("%s up", p.name()).isTrue());
        assertThat(r.failures()).isEmpty();
    }
}
