package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.worker.Workers;
import java.nio.file.Files;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code demo --metrics-port --keep-running}: after the run, its {@code /metrics} shows every stage's meters with
 * the decode stage's request count equal to the images posted (generated scenes plus the sample photographs), the
 * Kafka client meters, each stage's consumer lag, the Kafka Streams meters, and every metric the chart's Grafana
 * dashboard reads.
 */
class DemoMetricsTest {
    private static final int SCENES = 2;

    @Test
    void theDemosEndpointCountsEveryImagePostedOnEveryStage() throws Exception {
        int images = SCENES + photos();
        int port = Scrapes.freePort();
        DemoCommand command = new DemoCommand();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = executor.submit(() -> new CommandLine(command).execute("--count",
                    Integer.toString(SCENES), "--metrics-port", Integer.toString(port), "--keep-running"));
            String text = Scrapes.until(port, exit, Duration.ofSeconds(300),
                    t -> MetricsEndpointTest.value(t, "llava_requests_completed_total", "decode", null) >= images
                            && Workers.STAGES.stream().allMatch(stage -> Scrapes.sum(t,
                            "kafka_consumer_fetch_manager_records_lag", "topic=\"llava." + stage + "-requests\"") >= 0));
            for (String stage : Workers.STAGES) {
                assertThat(MetricsEndpointTest.value(text, "llava_requests_completed_total", stage, null))
                        .as("%s requests", stage).isEqualTo(images);
                assertThat(MetricsEndpointTest.value(text, "llava_dead_letters_total", stage, "NOT_AVRO"))
                        .as("%s dead letters", stage).isZero();
                String topic = "topic=\"llava." + stage + "-requests\"";
                assertThat(Scrapes.sum(text, "kafka_consumer_fetch_manager_records_lag", topic))
                        .as("%s consumer lag", stage).isZero();
                assertThat(Scrapes.sum(text, "kafka_consumer_fetch_manager_records_consumed_total", topic))
                        .as("records the %s consumer read", stage).isEqualTo(images);
            }
            assertThat(MetricsEndpointTest.value(text, "llava_dead_letters_total", "topology", "NOT_AVRO"))
                    .as("the topology's dead letters").isZero();
            assertThat(MetricsEndpointTest.value(text, "llava_time_to_first_token_seconds_count", "decode", null))
                    .isEqualTo(images);
            assertThat(text).contains("process=\"demo\"", "kafka_producer_record_send_total", "kafka_stream_");
            Scrapes.assertHasEveryDashboardMetric(text);
            assertThat(exit.isDone()).as("demo --keep-running still serving").isFalse();
            command.stop();
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        } finally {
            command.stop();
            executor.shutdownNow();
        }
    }

    /** The sample photographs the demo posts besides its scenes (samples/*.jpg). */
    private static int photos() throws java.io.IOException {
        try (Stream<java.nio.file.Path> s = Files.list(Scrapes.ROOT.resolve("samples"))) {
            return (int) s.filter(p -> p.toString().endsWith(".jpg")).count();
        }
    }
}
