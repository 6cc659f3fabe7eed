package io.llavastream.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The scaling simulation end to end on a real embedded broker, with tiny tensors and latencies: every post comes
 * out exactly once for 1 and 2 workers per stage, and the report's fields agree with each other. No assertion on
 * speed: this machine's timings are not the point of the test.
 */
class ScaleSimulationTest {
    private static final TensorSizes TINY = new TensorSizes(64, 4, 8, 16, 4, 3);
    private static final ScaleModel MODEL = new ScaleModel(new LatencyModel(1, 0.5), 2, new LatencyModel(0.5, 0.1),
            2, new LatencyModel(0.5, 0.1), 0.5, 2, 3, TINY);

    @Test
    @Timeout(600)
    void everyPostIsAnsweredExactlyOnceWithOneAndTwoWorkersAndTheReportAddsUp() {
        List<String> log = new ArrayList<>();
        ScaleConfig config = new ScaleConfig(MODEL, List.of(1, 2), 6, null, 1.0, true, 0.5,
                Duration.ofSeconds(120), -1);

        ScaleReport report = ScaleSimulation.run(config, log::add);

        assertThat(report.rows()).extracting(ScaleRow::workers).containsExactly(1, 2);
        for (ScaleRow r : report.rows()) {
            assertThat(r.posts()).as("posts of %d workers", r.workers()).isEqualTo(6 * r.workers());
            assertThat(r.answers()).as("answers of %d workers", r.workers()).isEqualTo(r.posts());
            assertThat(r.missing()).isZero();
            assertThat(r.duplicates()).isZero();
            assertThat(r.errors()).isZero();
            assertThat(r.simulation()).isTrue();
            assertThat(r.timeScale()).isEqualTo(1.0);
            assertThat(r.postsPerSecond()).isPositive();
            assertThat(r.efficiency()).isCloseTo(r.postsPerSecond() / r.idealPostsPerSecond(), within(1e-9));
            assertThat(r.brokerMbPerSecond()).isCloseTo(r.brokerMbInPerSecond() + r.brokerMbOutPerSecond(),
                    within(1e-9));
        }
        ScaleRow one = report.rows().get(0);
        ScaleRow two = report.rows().get(1);
        ScaleSummary s = report.summary();
        assertThat(one.scaling()).isEqualTo(1.0);
        assertThat(two.scaling()).isCloseTo(two.postsPerSecond() / one.postsPerSecond(), within(1e-9));
        assertThat(two.idealPostsPerSecond()).isCloseTo(2 * one.postsPerSecond(), within(1e-9));
        assertThat(two.target()).isEqualTo(1.8);
        assertThat(two.meetsTarget()).isEqualTo(two.scaling() >= 1.8);
        assertThat(s.scaling()).containsEntry("1", 1.0).containsEntry("2", two.scaling());

        // the broker took in at least every record's value, and sent out at least what the stages read
        for (ScaleRow r : report.rows()) {
            assertThat(r.brokerBytesInPerPost()).isGreaterThanOrEqualTo(s.hopBytesProducedPerPost());
            assertThat(r.brokerBytesOutPerPost()).isGreaterThanOrEqualTo(s.hopBytesConsumedPerPost());
        }
        assertThat(s.hopBytes().decodeRequest()).isGreaterThan((int) TINY.hvBytes());
        assertThat(s.hopBytes().visionFeatures()).isGreaterThan((int) TINY.zvBytes());
        assertThat(s.hopBytes().visionRequest()).isGreaterThan(TINY.imageBytes());

        RunResult ceiling = s.ceiling();
        assertThat(ceiling).isNotNull();
        assertThat(ceiling.timeScale()).isZero();
        assertThat(ceiling.workers()).isEqualTo(2);
        assertThat(ceiling.answers()).isEqualTo(ceiling.posts()).isEqualTo(12);
        assertThat(ceiling.duplicates()).isZero();
        assertThat(s.kafkaLimitWorkers()).isCloseTo(ceiling.postsPerSecond() / one.postsPerSecond(), within(1e-9));
        assertThat(s.kafkaLimitWorkersAtGpuSpeed()).isCloseTo(ceiling.postsPerSecond()
                / MODEL.postsPerSecondPerWorker(), within(1e-9));
        for (ScaleRow r : report.rows()) {
            double busiest = r.gpuBusy().values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertThat(r.kafkaLimited()).isEqualTo(busiest < 0.8);
            assertThat(r.decodeOverheadMs()).isGreaterThanOrEqualTo(0);
        }
        assertThat(s.simulation()).isTrue();
        assertThat(s.note()).startsWith("SIMULATION");
        assertThat(s.timeScale()).isEqualTo(1.0);
        assertThat(s.timeScaleAuto()).isFalse();
        assertThat(log).anyMatch(l -> l.startsWith("SIMULATION"));
    }

    @Test
    @Timeout(300)
    void aRunForADurationSendsWhatItCanInThatTimeAndAnswersEveryOneOfThem() {
        ScaleConfig config = new ScaleConfig(MODEL, List.of(1), 1000, Duration.ofSeconds(3), 1.0, false, 0.5,
                Duration.ofSeconds(120), -1);

        ScaleReport report = ScaleSimulation.run(config, line -> { });

        ScaleRow r = report.rows().get(0);
        assertThat(r.posts()).isBetween(1, 1000);
        assertThat(r.answers()).isEqualTo(r.posts());
        assertThat(r.duplicates()).isZero();
        assertThat(report.summary().ceiling()).isNull();
        assertThat(report.summary().kafkaLimitWorkers()).isNull();
    }
}
