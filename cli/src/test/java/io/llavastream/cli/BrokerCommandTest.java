package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.Post;
import io.llavastream.serde.ConfluentSchemaRegistryClient;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code broker}: prints its bootstrap servers, serves the pipeline's topics, and stops cleanly. */
class BrokerCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsItsBootstrapServersAndServesEveryPipelineTopicUntilStopped() throws Exception {
        BrokerCommand command = new BrokerCommand();
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(command).setOut(new PrintWriter(out, true));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = executor.submit(() -> cl.execute("--port", "0", "--registry-port", "0", "--data-dir", dir.toString()));
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.toString().isBlank() && !exit.isDone() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            String bootstrap = out.toString().strip();
            assertThat(bootstrap).matches("127\\.0\\.0\\.1:\\d+");
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS))
                        .containsAll(Topics.ALL.stream().map(Topic::name).toList());
            }
            command.stop();
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
            assertThat(dir.resolve("kraft-combined-logs/meta.properties")).exists();
        } finally {
            command.stop();
            executor.shutdownNow();
        }
    }

    @Test
    void schemaIdsSurviveARestartWithTheSameDataDir() throws Exception {
        int registryPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            registryPort = probe.getLocalPort();
        }
        String url = "http://127.0.0.1:" + registryPort;
        int answers = runBroker(registryPort, () -> {
            ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient(url);
            client.register(Topics.POSTS.name() + "-value", Post.getClassSchema());
            return client.register(Topics.ANSWERS.name() + "-value", Answer.getClassSchema());
        });
        int again = runBroker(registryPort, () -> new ConfluentSchemaRegistryClient(url)
                .register(Topics.ANSWERS.name() + "-value", Answer.getClassSchema()));
        assertThat(again).isEqualTo(answers).isEqualTo(2);
    }

    /** Runs {@code broker} on {@link #dir}, calls {@code work} once it is up, stops it, returns what work did. */
    private <T> T runBroker(int registryPort, Callable<T> work) throws Exception {
        BrokerCommand command = new BrokerCommand();
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(command).setOut(new PrintWriter(out, true));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = executor.submit(() -> cl.execute("--port", "0", "--registry-port",
                    Integer.toString(registryPort), "--data-dir", dir.toString()));
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.toString().isBlank() && !exit.isDone() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            assertThat(out.toString()).matches("(?s)127\\.0\\.0\\.1:\\d+\\s*");
            T result = work.call();
            command.stop();
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
            return result;
        } finally {
            command.stop();
            executor.shutdownNow();
        }
    }

    @Test
    void servesPrometheusMetricsCountingTheRecordsAppendedWhenAMetricsPortIsGiven() throws Exception {
        int metricsPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            metricsPort = probe.getLocalPort();
        }
        BrokerCommand command = new BrokerCommand();
        StringWriter out = new StringWriter();
        CommandLine cl = new CommandLine(command).setOut(new PrintWriter(out, true));
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = executor.submit(() -> cl.execute("--port", "0", "--registry-port", "-1",
                    "--data-dir", dir.toString(), "--metrics-port", Integer.toString(metricsPort)));
            long deadline = System.currentTimeMillis() + 60_000;
            while (out.toString().isBlank() && !exit.isDone() && System.currentTimeMillis() < deadline) {
                Thread.sleep(50);
            }
            String bootstrap = out.toString().strip();
            try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                    new StringSerializer(), new StringSerializer())) {
                p.send(new ProducerRecord<>(Topics.POSTS.name(), "k", "v")).get(30, TimeUnit.SECONDS);
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("process=\"broker\"", "jvm_memory_used_bytes");
            assertThat(MetricsEndpointTest.sample(r.body(), "kafka_broker_messages_in_total", "process=\"broker\""))
                    .isGreaterThanOrEqualTo(1);
            command.stop();
            assertThat(exit.get(60, TimeUnit.SECONDS)).isZero();
        } finally {
            command.stop();
            executor.shutdownNow();
        }
    }

    @Test
    void refusesAPortOutOfRangeAndNamesIt() {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new BrokerCommand()).setErr(new PrintWriter(err, true));
        assertThat(cl.execute("--port", "70000")).isNotZero();
        assertThat(err.toString()).contains("--port").contains("70000");
    }
}
