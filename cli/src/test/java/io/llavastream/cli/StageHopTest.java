package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.kafka.KafkaClientConfig;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code bench hop} on a real embedded broker, at a small tensor size: the hop and the raw rate for the same bytes
 * both move every record and report consistent figures. No timing is asserted, only that the figures are the ones
 * the counts and sizes imply.
 */
class StageHopTest {
    @Test
    void theHopAndTheRawRateForTheSameBytesAreReportedSideBySide() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaClientConfig kafka = KafkaClientConfig.load(null, Map.of(), broker.bootstrapServers());
            StageHop.Result r = new StageHop(kafka, new InMemorySchemaRegistry()).run(32, 256, 20);

            assertThat(r.payloadBytes()).isGreaterThan(32 * 256 * 2).isLessThan(32 * 256 * 2 + 2_000);
            assertThat(r.hops()).isEqualTo(20);
            assertThat(r.hopsPerSecond()).isPositive();
            assertThat(r.mbPerSecond()).isCloseTo(r.hopsPerSecond() * r.payloadBytes() / 1e6, within(1e-6));
            assertThat(r.rawRecordsPerSecond()).isPositive();
            assertThat(r.rawMbPerSecond()).isCloseTo(r.rawRecordsPerSecond() * r.payloadBytes() / 1e6, within(1e-6));
            assertThat(r.hopsToRaw()).isCloseTo(r.hopsPerSecond() / r.rawRecordsPerSecond(), within(1e-9));
            assertThat(r.p50Ms()).isPositive().isLessThanOrEqualTo(r.p99Ms());
            assertThat(r.cpuMsPerHop()).isPositive();
            assertThat(r.rawCpuMsPerRecord()).isPositive();
            assertThat(r.serializeMs()).isPositive();
            assertThat(r.deserializeMs()).isPositive();
            assertThat(r.decodeMs()).isPositive();
        }
    }

    @Test
    void theRawRateReadsBackEveryPlainRecordItSent() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            KafkaClientConfig kafka = KafkaClientConfig.load(null, Map.of(), broker.bootstrapServers());
            HopRate raw = new RawRate(kafka, Topics.BENCH_HOPS.name()).measure(100_000, 12);

            assertThat(raw.records()).isEqualTo(12);
            assertThat(raw.recordBytes()).isEqualTo(100_000);
            assertThat(raw.seconds()).isPositive();
            assertThat(raw.mbPerSecond()).isCloseTo(12 * 0.1 / raw.seconds(), within(1e-6));
        }
    }

    @Test
    void halvesOfOneSizeAddUpAndHalvesOfTwoSizesAreRefused() {
        HopRate both = HopRate.sum(HopRate.sum(null, new HopRate(10, 1_000_000, 0.5, 0.2)),
                new HopRate(30, 1_000_000, 1.5, 0.6));
        assertThat(both).isEqualTo(new HopRate(40, 1_000_000, 2.0, 0.8));
        assertThat(both.recordsPerSecond()).isEqualTo(20.0);
        assertThat(both.mbPerSecond()).isEqualTo(20.0);
        assertThat(both.cpuMsPerRecord()).isCloseTo(20.0, within(1e-9));
        assertThatThrownBy(() -> HopRate.sum(both, new HopRate(1, 5, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1000000").hasMessageContaining("5");
    }

    @Test
    void aFailingSenderFailsTheMeasurementWithItsCause() {
        assertThatThrownBy(() -> ConcurrentFlow.measure(1, 1, () -> {
            throw new IllegalStateException("broker gone");
        }, () -> { })).isInstanceOf(IllegalStateException.class).hasMessageContaining("sender failed")
                .hasMessageContaining("broker gone");
    }
}
