package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.rules.DeadLetterReason;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class DeadLetterCountsTest {
    @Test
    void everyReasonIsAMeterFromTheStartAndAnotherErrorTypeFromItsFirstDeadLetter() {
        DeadLetterCounts counts = new DeadLetterCounts();
        counts.add("NOT_AVRO");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        counts.bindTo(registry, Tags.of("stage", "topology", "model_id", "m"));
        assertThat(registry.find("llava.dead.letters").functionCounters())
                .hasSize(DeadLetterReason.values().length);
        assertThat(counter(registry, "NOT_AVRO").count()).isEqualTo(1);
        assertThat(counter(registry, "TIMEOUT").count()).isZero();
        counts.add("TIMEOUT");
        counts.add(PostAssembler.INVALID_ANSWER);
        counts.add(PostAssembler.INVALID_ANSWER);
        assertThat(counter(registry, "TIMEOUT").count()).isEqualTo(1);
        assertThat(counter(registry, PostAssembler.INVALID_ANSWER).count()).isEqualTo(2);
        assertThat(counter(registry, "NOT_AVRO").getId().getTag("stage")).isEqualTo("topology");
    }

    private static FunctionCounter counter(SimpleMeterRegistry registry, String reason) {
        FunctionCounter c = registry.find("llava.dead.letters").tag("reason", reason).functionCounter();
        assertThat(c).as(reason).isNotNull();
        return c;
    }
}
