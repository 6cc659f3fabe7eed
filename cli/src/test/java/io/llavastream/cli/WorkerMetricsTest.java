package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.EmbeddedPipeline;
import io.llavastream.pipeline.PipelineClient;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The {@code worker} command for the decode stage with {@code --metrics-port}, beside an in-process topology,
 * vision and merge on the embedded broker: its {@code /metrics} counts the posts sent and a garbage record on the
 * decode topic under its dead-letter reason, and its Kafka client meters carry the stage.
 */
class WorkerMetricsTest {
    private static final int POSTS = 2;

    @Test
    void aDecodeWorkerWithAMetricsPortCountsItsRequestsAndItsDeadLetterByReason() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        WorkerCommand command = new WorkerCommand();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), List.of("vision", "merge"), 8,
                System.err::println);
             PipelineClient client = pipeline.client()) {
            CommandLine cl = new CommandLine(command);
            Future<Integer> exit = executor.submit(() -> cl.execute("--stage", "decode", "--bootstrap-servers",
                    pipeline.bootstrapServers(), "--schema-registry-url", pipeline.registryUrl(), "--threads", "1",
                    "--metrics-port", Integer.toString(port), "--progress-seconds", "3600"));
            try (KafkaProducer<String, byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                    pipeline.bootstrapServers()), new StringSerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(Topics.DECODE_REQUESTS.name(), "junk/0",
                        "not avro".getBytes(StandardCharsets.UTF_8)));
            }
            for (Scene s : new SceneGenerator(99).scenes(0, POSTS)) {
                client.send(PngPosts.of("worker-metrics-" + s.id(), "it", SceneRenderer.png(s)));
            }
            client.flush();
            String text = scrapeUntil(port, exit, t -> MetricsEndpointTest.value(t, "llava_requests_completed_total",
                    "decode", null) >= POSTS + 1);
            assertThat(MetricsEndpointTest.value(text, "llava_requests_completed_total", "decode", null))
                    .isEqualTo(POSTS + 1);
            assertThat(MetricsEndpointTest.value(text, "llava_dead_letters_total", "decode", "NOT_AVRO")).isEqualTo(1);
            assertThat(MetricsEndpointTest.value(text, "llava_time_to_first_token_seconds_count", "decode", null))
                    .isEqualTo(POSTS);
            long tokenRecords = recordsIn(pipeline.bootstrapServers(), Topics.ANSWER_TOKENS.name());
            assertThat(tokenRecords).as("token deltas, one per decode step of each answer").isGreaterThan(POSTS);
            assertThat(MetricsEndpointTest.value(text, "llava_token_previews_sent_total", "decode", null))
                    .isEqualTo(tokenRecords);
            assertThat(MetricsEndpointTest.value(text, "llava_token_previews_dropped_total", "decode", null))
                    .isZero();
            assertThat(text).as("the preview producer's Kafka client meters")
                    .containsPattern("(?m)^kafka_producer_\\w+\\{[^}]*client_id=\"llava-decode-[^\"]*-tokens\"");
            assertThat(MetricsEndpointTest.sample(text, "kafka_consumer_fetch_manager_records_lag_max",
                    "stage=\"decode\"", "process=\"worker\"", "client_id="))
                    .as("the decode consumer's lag, tagged with the stage").isGreaterThanOrEqualTo(0);
            command.stop();
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        } finally {
            command.stop();
            executor.shutdownNow();
        }
    }

    /** Records in {@code topic}: the sum of its partitions' end offsets (a topic no transaction writes). */
    private static long recordsIn(String bootstrap, String topic) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                Map.of("bootstrap.servers", bootstrap))) {
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest =
                    new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new org.apache.kafka.common.TopicPartition(topic, p),
                        org.apache.kafka.clients.admin.OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    /** Scrapes until {@code done} holds or the worker exits, at most 120 s; returns the last scrape ("" if none). */
    private static String scrapeUntil(int port, Future<Integer> exit, java.util.function.Predicate<String> done)
            throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).GET().build();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String text = "";
        while (System.nanoTime() < deadline && !exit.isDone()) {
            try {
                text = http.send(get, HttpResponse.BodyHandlers.ofString()).body();
                if (done.test(text)) {
                    return text;
                }
            } catch (java.net.ConnectException notYet) {
                // the worker is still loading its model
            }
            Thread.sleep(200);
        }
        return text;
    }
}
