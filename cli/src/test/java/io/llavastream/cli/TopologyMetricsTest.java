package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.model.ModelDirectory;
import io.llavastream.pipeline.PipelineClient;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.scenes.Scene;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.serde.KafkaSchemaRegistry;
import io.llavastream.serde.SchemaRegistryServer;
import io.llavastream.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The {@code topology} command with {@code --metrics-port} on the embedded broker, no workers: after the test posts
 * a record that is not Avro and three single-image posts, its {@code /metrics} counts four records consumed from
 * {@code llava.posts} and three vision requests produced (Kafka Streams' topic-level counters), the garbage one as a
 * {@code NOT_AVRO} dead letter of stage {@code topology}, and shows the stream-thread meters, the embedded clients'
 * meters and the consumer's lag on each partition of {@code llava.posts}.
 */
class TopologyMetricsTest {
    private static final int POSTS = 3;
    private static final String POSTS_TOPIC = "topic=\"" + Topics.POSTS.name() + "\"";
    private static final String VISION_TOPIC = "topic=\"" + Topics.VISION_REQUESTS.name() + "\"";

    @Test
    void aTopologyWithAMetricsPortCountsThePostsConsumedTheVisionRequestsProducedAndItsDeadLetter(@TempDir Path state)
            throws Exception {
        int port = Scrapes.freePort();
        TopologyCommand command = new TopologyCommand();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
             SchemaRegistryServer registry = SchemaRegistryServer.start(KafkaSchemaRegistry.open(
                     Map.of("bootstrap.servers", broker.bootstrapServers()), KafkaSchemaRegistry.DEFAULT_TIMEOUT), 0);
             PipelineClient client = new PipelineClient(Map.of("bootstrap.servers", broker.bootstrapServers()),
                     registry.registry())) {
            Future<Integer> exit = executor.submit(() -> new CommandLine(command).execute("--bootstrap-servers",
                    broker.bootstrapServers(), "--schema-registry-url", registry.url(), "--vision-model-id",
                    ModelDirectory.open(ModelDirectory.bundled()).config().visionModelId(), "--set",
                    "replication.factor=1", "--set", "state.dir=" + state,
                    "--metrics-port", Integer.toString(port)));
            client.sendRaw("junk", "not avro".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (Scene s : new SceneGenerator(5).scenes(0, POSTS)) {
                client.send(PngPosts.of("topology-metrics-" + s.id(), "it", SceneRenderer.png(s)));
            }
            client.flush();
            // Kafka Streams registers its task and topic meters on assignment; the binder picks new ones up every 60 s
            String text = Scrapes.until(port, exit, Duration.ofSeconds(180), t ->
                    Scrapes.sum(t, "kafka_stream_topic_records_consumed_total", POSTS_TOPIC) >= POSTS + 1
                            && Scrapes.sum(t, "kafka_stream_topic_records_produced_total", VISION_TOPIC) >= POSTS
                            && Scrapes.sum(t, "kafka_consumer_fetch_manager_records_lag", POSTS_TOPIC) >= 0);
            assertThat(Scrapes.sum(text, "kafka_stream_topic_records_consumed_total", POSTS_TOPIC))
                    .as("records the topology consumed from llava.posts").isEqualTo(POSTS + 1);
            assertThat(MetricsEndpointTest.value(text, "llava_dead_letters_total", "topology", "NOT_AVRO"))
                    .as("the garbage post, dead-lettered").isEqualTo(1);
            assertThat(MetricsEndpointTest.value(text, "llava_dead_letters_total", "topology", "NULL_VALUE")).isZero();
            assertThat(Scrapes.sum(text, "kafka_stream_topic_records_produced_total", VISION_TOPIC))
                    .as("vision requests the topology produced").isEqualTo(POSTS);
            assertThat(Scrapes.sum(text, "kafka_consumer_fetch_manager_records_lag", POSTS_TOPIC))
                    .as("the topology consumer's lag on llava.posts, summed over its partitions").isZero();
            assertThat(Scrapes.sum(text, "kafka_stream_thread_process_total")).isGreaterThanOrEqualTo(POSTS);
            assertThat(Scrapes.sum(text, "kafka_stream_alive_stream_threads")).isEqualTo(1);
            assertThat(Scrapes.sum(text, "kafka_producer_record_send_total")).isGreaterThanOrEqualTo(POSTS);
            assertThat(text).contains("process=\"topology\"", "jvm_memory_used_bytes");
            command.stop();
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        } finally {
            command.stop();
            executor.shutdownNow();
        }
    }
}
