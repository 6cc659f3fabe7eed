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
 * The broker (with the schema registry it runs) is stopped and started again on its data directory while the
 * workers have records to read: topics, offsets, transactions and schema ids survive, and every post comes out
 * exactly once, none dead-lettered.
 */
class BrokerRestartTest {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void aBrokerRestartOnItsDataDirectoryMidRunLosesNothingAndDuplicatesNothing() throws Exception {
        ChaosReport r = ChaosTestSupport.run(ChaosTestSupport.options(work, 40, 0, List.of(), 1, Duration.ZERO,
                false));

        assertThat(r.brokerRestarts()).hasSize(1);
        assertThat(r.brokerRestarts().get(0).lagAtStop()).as("records waiting for the workers at the restart")
                .isPositive();
        assertThat(r.postsIn()).isEqualTo(40);
        assertThat(r.lost()).isEmpty();
        assertThat(r.lostAnswers()).isEmpty();
        assertThat(r.duplicatedPosts()).isZero();
        assertThat(r.duplicatedAnswers()).isZero();
        assertThat(r.deadLettersByReason()).as("dead letters: a restart is no reason to refuse a record").isEmpty();
        assertThat(r.processes()).allSatisfy(p -> assertThat(p.up()).as(p.name()).isTrue());
        assertThat(r.failures()).isEmpty();
    }
}
