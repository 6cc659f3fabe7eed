package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code search --serve --metrics-port} beside the in-process pipeline: its {@code /metrics} shows the images in the
 * index (two posted before it started, a third while it follows the topics), the captioned posts its consumer read,
 * and that consumer's Kafka client meters and lag.
 */
class SearchMetricsTest {
    private static final String CAPTIONED = "topic=\"" + Topics.CAPTIONED_POSTS.name() + "\"";

    @Test
    void searchServeCountsTheImagesItIndexedAndItsConsumersRecords() throws Exception {
        int port = Scrapes.freePort();
        SearchCommand command = new SearchCommand();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        List<Scene> scenes = new SceneGenerator(31).scenes(0, 3);
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8,
                System.err::println);
             PipelineClient client = pipeline.client()) {
            post(client, scenes.subList(0, 2));
            Future<Integer> exit = executor.submit(() -> new CommandLine(command).execute("--serve", "--port", "0",
                    "--bootstrap-servers", pipeline.bootstrapServers(), "--schema-registry-url",
                    pipeline.registryUrl(), "--metrics-port", Integer.toString(port)));
            String text = Scrapes.until(port, exit, Duration.ofSeconds(120),
                    t -> Scrapes.sum(t, "llava_search_index_images") >= 2);
            assertThat(Scrapes.sum(text, "llava_search_index_images")).isEqualTo(2);
            post(client, scenes.subList(2, 3));
            text = Scrapes.until(port, exit, Duration.ofSeconds(120),
                    t -> Scrapes.sum(t, "llava_search_index_images") >= 3
                            && Scrapes.sum(t, "kafka_consumer_fetch_manager_records_consumed_total", CAPTIONED) >= 3);
            assertThat(Scrapes.sum(text, "llava_search_index_images")).as("images in the index").isEqualTo(3);
            assertThat(Scrapes.sum(text, "kafka_consumer_fetch_manager_records_consumed_total", CAPTIONED))
                    .as("captioned posts the index consumer read").isEqualTo(3);
            assertThat(Scrapes.sum(text, "kafka_consumer_fetch_manager_records_lag_max"))
                    .as("the index consumer's lag").isGreaterThanOrEqualTo(0);
            assertThat(text).contains("process=\"search\"", "kafka_consumer_fetch_manager_fetch_total");
            command.stop();
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        } finally {
            command.stop();
            executor.shutdownNow();
        }
    }

    /** Posts {@code scenes} and waits until each is captioned (so its embedding and caption are on their topics). */
    private static void post(PipelineClient client, List<Scene> scenes) {
        for (Scene s : scenes) {
            client.send(PngPosts.of("search-metrics-" + s.id(), "it", SceneRenderer.png(s)));
        }
        client.flush();
        Map<String, CaptionedPost> out = new HashMap<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(180), r -> out.put(r.key(), r.value()),
                () -> scenes.stream().allMatch(s -> out.containsKey("search-metrics-" + s.id())));
        assertThat(out.keySet()).containsAll(scenes.stream().map(s -> "search-metrics-" + s.id()).toList());
    }
}
