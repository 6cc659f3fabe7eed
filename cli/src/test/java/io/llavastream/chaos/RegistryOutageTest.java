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
 * The schema registry goes down mid-run. While it is down, posts keep coming, and each pipeline process in turn
 * (decode, merge, vision, the topology) is killed while it has work in flight and restarted, so that each must read
 * records again with no schema cached and no registry to ask. Nothing is dead-lettered for it, nothing is lost,
 * nothing duplicated, and every process is up once the registry is back.
 */
class RegistryOutageTest {
    @TempDir
    Path work;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void aRegistryOutageMidRunDeadLettersNothingAndLosesNothing() throws Exception {
        ChaosReport r = ChaosTestSupport.run(ChaosTestSupport.options(work, 30, 0, List.of(), 0,
                Duration.ofSeconds(20), false));

        assertThat(r.registryOutage()).isNotNull();
        assertThat(r.registryOutage().restarted()).containsExactly("decode-0", "merge-0", "vision-0", "topology-0");
        assertThat(r.registryOutage().kills()).allSatisfy(k -> assertThat(k.inFlight()).as("%s", k).isTrue());
        assertThat(r.registryOutage().postsSent()).isPositive();
        assertThat(r.deadLettersByReason()).as("dead letters").isEmpty();
        assertThat(r.postsIn()).isEqualTo(30);
        assertThat(r.lost()).isEmpty();
        assertThat(r.lostAnswers()).isEmpty();
        assertThat(r.duplicatedPosts()).isZero();
        assertThat(r.duplicatedAnswers()).isZero();
        assertThat(r.processes()).allSatisfy(p -> assertThat(p.up()).as(p.name()).isTrue());
        assertThat(r.failures()).isEmpty();
    }
}
