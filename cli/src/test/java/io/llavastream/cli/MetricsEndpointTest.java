package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.metrics.MetricsServer;
import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.EmbeddedPipeline;
import io.llavastream.pipeline.PipelineClient;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Workers;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The three stage workers and the topology on the embedded broker, bound to one {@code /metrics} endpoint as
 * {@code demo} binds them (a worker process binds one stage the same way): after three posts and one garbage record
 * on the vision topic, a scrape shows the stage meters with the counts the test caused, the Kafka client meters and
 * the Kafka Streams meters, and every metric the chart's Grafana dashboard reads.
 */
class MetricsEndpointTest {
    private static final int POSTS = 3;

    @Test
    void aScrapeCountsTheRecordsSentTheDeadLetterByReasonAndShowsKafkaClientAndStreamsMeters() throws Exception {
        String modelId = ModelDirectory.open(ModelDirectory.bundled(), List.of()).config().modelId();
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8,
                System.err::println);
             PipelineClient client = pipeline.client();
             MetricsServer metrics = MetricsServer.start("127.0.0.1", 0, "process", "demo")) {
            ProcessMeters.pipeline(metrics.registry(), pipeline, Workers.STAGES, modelId);
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                    pipeline.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(Topics.VISION_REQUESTS.name(), "junk",
                        "not avro".getBytes(StandardCharsets.UTF_8)));
            }
            List<Scene> scenes = new SceneGenerator(77).scenes(0, POSTS);
            for (Scene s : scenes) {
                client.send(PngPosts.of("metrics-" + s.id(), "it", SceneRenderer.png(s)));
            }
            client.flush();
            Map<String, CaptionedPost> out = new HashMap<>();
            client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(180), r -> out.put(r.key(), r.value()),
                    () -> out.size() >= POSTS);
            assertThat(out).hasSize(POSTS);

            String text = scrapeUntil(metrics, t -> value(t, "llava_requests_completed_total", "decode", null) >= POSTS
                    && value(t, "llava_dead_letters_total", "vision", "NOT_AVRO") >= 1);
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "metrics-scrape.txt"), text);  // to read
            assertThat(value(text, "llava_requests_completed_total", "decode", null)).isEqualTo(POSTS);
            assertThat(value(text, "llava_requests_completed_total", "vision", null)).isEqualTo(POSTS + 1);
            assertThat(value(text, "llava_dead_letters_total", "vision", "NOT_AVRO")).isEqualTo(1);
            assertThat(value(text, "llava_dead_letters_total", "decode", "NOT_AVRO")).isZero();
            assertThat(value(text, "llava_vision_cache_misses_total", "vision", null)).isEqualTo(POSTS);
            assertThat(value(text, "llava_time_to_first_token_seconds_count", "decode", null)).isEqualTo(POSTS);
            assertThat(value(text, "llava_request_prefill_time_seconds_count", "decode", null)).isEqualTo(POSTS);
            assertThat(value(text, "llava_generation_tokens_total", "decode", null)).isGreaterThanOrEqualTo(POSTS);
            assertThat(value(text, "llava_prompt_tokens_total", "decode", null)).isGreaterThan(POSTS);
            assertThat(value(text, "llava_time_to_first_token_seconds_count", "vision", null)).isZero();
            for (String stage : Workers.STAGES) {
                assertThat(value(text, "llava_request_queue_time_seconds_count", stage, null))
                        .as("queue time count of %s", stage).isGreaterThanOrEqualTo(POSTS);
                assertThat(value(text, "llava_batch_size_count", stage, null)).as("batches of %s", stage)
                        .isPositive();
                assertThat(value(text, "llava_stage_compute_time_seconds_count", stage, null))
                        .as("compute calls of %s", stage).isPositive();
            }
            assertThat(text).contains("llava_requests_running{", "llava_requests_waiting{",
                    "llava_time_per_output_token_seconds_bucket{", "llava_batch_size_bucket{", "llava_outputs_total{",
                    "llava_transactions_committed_total{", "llava_vision_cache_hits_total{",
                    "kafka_consumer_fetch_manager_records_lag_max", "kafka_producer_", "kafka_stream_",
                    "jvm_memory_used_bytes");
            assertThat(sample(text, "kafka_consumer_fetch_manager_records_lag", "topic=\"llava.decode-requests\""))
                    .as("the decode consumer's lag").isGreaterThanOrEqualTo(0);
            assertThat(text).contains("model_id=\"" + modelId + "\"", "process=\"demo\"");
            Scrapes.assertHasEveryDashboardMetric(text);
        }
    }

    /** Scrapes until {@code done} holds (the counts move after each commit), at most 60 s; returns the last. */
    private static String scrapeUntil(MetricsServer metrics, java.util.function.Predicate<String> done)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(URI.create(metrics.url())).GET().build();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String text;
        do {
            HttpResponse<String> r = http.send(get, HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            text = r.body();
        } while (!done.test(text) && System.nanoTime() < deadline && sleep());
        return text;
    }

    private static boolean sleep() throws InterruptedException {
        Thread.sleep(200);
        return true;
    }

    /** The value of {@code name} for {@code stage} (and {@code reason}, when given); -1 when there is no such line. */
    static double value(String text, String name, String stage, String reason) {
        return reason == null ? sample(text, name, "stage=\"" + stage + "\"")
                : sample(text, name, "stage=\"" + stage + "\"", "reason=\"" + reason + "\"");
    }

    /** The value of the first {@code name} sample whose labels contain all of {@code labels}; -1 when none. */
    static double sample(String text, String name, String... labels) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{([^}]*)\\} (\\S+)$").matcher(text);
        while (m.find()) {
            String found = m.group(1);
            if (java.util.Arrays.stream(labels).allMatch(found::contains)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }
}
