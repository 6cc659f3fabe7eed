package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.serde.KafkaSchemaRegistry;
import io.llavastream.serde.SchemaRegistryServer;
import io.llavastream.topics.Topics;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * {@code ./llava-stream console} as its own process against a broker and a schema registry, as in the multi-process
 * setup: bound beyond loopback it generates and prints a token and refuses requests without it; with the token it
 * serves stats of the four stage groups, the search box and uploads that land on the posts topic; SIGTERM stops it.
 */
class ConsoleCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final List<String> seenLines = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Test
    void refusesAConsolePortOutOfRangeNamingIt() {
        WorkerCommandTest.Run r = WorkerCommandTest.run("console", "--bootstrap-servers", "127.0.0.1:1",
                "--console-port", "70000", "--no-search");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--console-port must be 0..65535 (0 takes a free port), got 70000");
        assertThat(Main.commandLine().getSubcommands()).containsKey("console");
    }

    @Test
    void beyondLoopbackTheConsoleProcessPrintsAGeneratedTokenAndServesOnlyWithIt() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
             SchemaRegistryServer registry = SchemaRegistryServer.start(KafkaSchemaRegistry.open(
                     Map.of("bootstrap.servers", broker.bootstrapServers()), KafkaSchemaRegistry.DEFAULT_TIMEOUT),
                     0)) {
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString(), "-Xmx512m", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                    Main.class.getName(), "console", "--bootstrap-servers", broker.bootstrapServers(),
                    "--schema-registry-url", registry.url(), "--console-port", "0", "--console-host", "0.0.0.0",
                    "--metrics-port", "0"));
            String root = System.getProperty("llava.repo.root");
            if (root != null) {
                cmd.add(3, "-Dllava.repo.root=" + root);
            }
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    in.lines().forEach(lines::add);
                } catch (Exception e) {
                    // process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
            try {
                String url = awaitUrl(p, lines, Duration.ofSeconds(120));
                String metricsUrl = metricsUrl(lines);
                assertThat(url).contains("?token=");
                String token = url.substring(url.indexOf("?token=") + 7);
                String base = url.substring(0, url.indexOf("/?token="));

                assertThat(get(base + "/api/stats").statusCode()).isEqualTo(401);
                assertThat(get(base + "/api/stats?token=wrong").statusCode()).isEqualTo(401);
                JsonNode stats = awaitStats(base + "/api/stats?token=" + token);
                assertThat(stats.get("stages").findValuesAsText("group"))
                        .containsExactly("llava-topology", "llava-vision", "llava-merge", "llava-decode");
                assertThat(stats.get("search").asBoolean()).isTrue();
                HttpResponse<String> search = get(base + "/api/search?q=a%20red%20circle&token=" + token);
                assertThat(search.statusCode()).as(search.body()).isEqualTo(200);

                byte[] png = SceneRenderer.png(new SceneGenerator(7).scene(0));
                HttpResponse<String> up = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/upload?name=s.png"))
                        .header("Authorization", "Bearer " + token).header("X-Requested-With", "llava-console")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(up.statusCode()).as(up.body()).isEqualTo(200);
                String postId = JSON.readTree(up.body()).get("post_id").asText();
                assertThat(postKeys(broker.bootstrapServers())).contains(postId);

                String scrape = get(metricsUrl).body();
                assertThat(scrape).contains("llava_console_records_read_total{process=\"console\"}")
                        .contains("llava_console_records_skipped_total{process=\"console\",topic=\"llava.posts\"}")
                        .contains("kafka_consumer_").contains("llava_search_index_images");
            } finally {
                p.destroy();
                boolean ended = p.waitFor(30, TimeUnit.SECONDS);
                if (!ended) {
                    p.destroyForcibly();
                }
                assertThat(ended).as("the console stops on SIGTERM").isTrue();
            }
        }
    }

    private static String awaitUrl(Process p, LinkedBlockingQueue<String> lines, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<String> seen = seenLines;
        while (System.nanoTime() < deadline && (p.isAlive() || !lines.isEmpty())) {
            String line = lines.poll(200, TimeUnit.MILLISECONDS);
            if (line == null) {
                continue;
            }
            seen.add(line);
            int at = line.indexOf("console: console at ");
            if (at >= 0) {
                return line.substring(at + "console: console at ".length()).trim();
            }
        }
        throw new AssertionError("the console printed no URL within " + timeout + ": " + seen);
    }

    /** The metrics URL, printed before the console's. */
    private static String metricsUrl(LinkedBlockingQueue<String> lines) {
        return seenLines.stream().filter(l -> l.contains("console: metrics at ")).findFirst()
                .map(l -> l.substring(l.indexOf("console: metrics at ") + "console: metrics at ".length()).trim())
                .orElseThrow(() -> new AssertionError("no metrics URL printed: " + seenLines));
    }

    private static JsonNode awaitStats(String url) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = get(url);
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode n = JSON.readTree(r.body());
            if (n.get("stages").isArray()) {
                return n;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no stage stats from " + url);
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> postKeys(String bootstrap) {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(),
                new ByteArrayDeserializer())) {
            c.subscribe(List.of(Topics.POSTS.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (keys.isEmpty() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    keys.add(r.key());
                }
            }
        }
        return keys;
    }
}
