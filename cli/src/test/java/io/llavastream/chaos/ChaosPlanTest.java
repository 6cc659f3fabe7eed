package io.llavastream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.chaos.ChaosPlan.Kind;
import io.llavastream.chaos.ChaosPlan.Step;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The order of a chaos run: every post sent, a slice before every fault, valid posts after the hostile records. */
class ChaosPlanTest {
    @Test
    void fullSizeSendsEveryPostWithASliceBeforeEachFaultAndPostsAfterTheHostileRecords() {
        List<Step> steps = ChaosPlan.of(ChaosOptions.fullSize(Path.of("w"), Path.of("m")));
        assertThat(steps.stream().filter(s -> s.kind() == Kind.SEND).mapToInt(Step::count).sum()).isEqualTo(1000);
        assertThat(steps.stream().filter(s -> s.kind() == Kind.KILL)).hasSize(10);
        assertThat(steps.stream().filter(s -> s.kind() == Kind.BROKER_RESTART)).hasSize(1);
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).kind() == Kind.KILL || steps.get(i).kind() == Kind.BROKER_RESTART) {
                assertThat(steps.get(i - 1).kind()).as("step before %s", steps.get(i)).isEqualTo(Kind.SEND);
            }
        }
        int hostile = steps.indexOf(new Step(Kind.HOSTILE, 0));
        assertThat(hostile).isGreaterThan(steps.indexOf(new Step(Kind.BROKER_RESTART, 0)));
        assertThat(steps.subList(hostile, steps.size()).stream().filter(s -> s.kind() == Kind.KILL)).hasSize(5);
        assertThat(steps.get(steps.size() - 1).kind()).isEqualTo(Kind.SEND);
        assertThat(steps.get(steps.size() - 1).count()).isPositive();
    }

    @Test
    void aRegistryOutageFollowsAWarmUpSliceAndSendsItsOwnAndAQuietRunIsOneSlice() {
        ChaosOptions outage = new ChaosOptions(30, 0, List.of(), 0, Duration.ofSeconds(20), false, false, 1, 1,
                Duration.ofMinutes(1), Duration.ofMinutes(1), 0, Path.of("w"), Path.of("m"), "1g", 20, List.of());
        assertThat(ChaosPlan.of(outage)).containsExactly(new Step(Kind.SEND, 10), new Step(Kind.REGISTRY_OUTAGE, 10),
                new Step(Kind.SEND, 10));
        assertThat(outage.separateRegistry()).as("an outage needs the registry apart from the broker").isTrue();
        assertThat(ChaosPlan.of(outage.withPosts(7).withoutOutage())).containsExactly(new Step(Kind.SEND, 7));
    }
}
