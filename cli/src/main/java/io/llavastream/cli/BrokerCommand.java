package io.llavastream.cli;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.metrics.MetricsServer;
import io.llavastream.serde.KafkaSchemaRegistry;
import io.llavastream.serde.SchemaRegistryServer;
import io.llavastream.status.ProcessStatus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code broker}: the embedded Kafka broker as a process of its own, so that workers and the topology can run as
 * separate processes on one machine without installing Kafka. Beside it runs a schema registry that keeps its
 * schemas in the broker's {@code _schemas} topic ({@link KafkaSchemaRegistry}), so that with {@code --data-dir} the
 * schema ids survive a restart together with the records that carry them. Prints the bootstrap servers alone on
 * stdout (for scripts) and runs until Ctrl-C, which stops both cleanly.
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = {"Run a single-node Kafka broker (KRaft, on 127.0.0.1 only) with every pipeline topic, and a "
                + "schema registry (Confluent REST API) beside it, until Ctrl-C.",
                "Prints its bootstrap servers on stdout; pass them to other commands' --bootstrap-servers."})
final class BrokerCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9092",
            description = "Port for clients on 127.0.0.1; 0 picks a free one (default ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--data-dir",
            description = "Keep the broker's data here, across restarts (default: a temporary directory, deleted "
                    + "on exit).")
    Path dataDir;
    @Option(names = "--registry-port", defaultValue = "8081",
            description = "Port of the schema registry on 127.0.0.1; -1 runs none (default ${DEFAULT-VALUE}). It "
                    + "keeps its schemas in the broker's _schemas topic, so ids survive a restart with --data-dir.")
    int registryPort;
    @Mixin
    StatusOptions status;
    @Mixin
    MetricsOptions metrics;
    @Spec
    CommandSpec spec;

    private final CountDownLatch stopRequested = new CountDownLatch(1);

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535 (0 picks a free port), got " + port);
        }
        long t0 = System.nanoTime();
        EmbeddedKafkaBroker broker = dataDir == null ? EmbeddedKafkaBroker.start(port)
                : EmbeddedKafkaBroker.start(dataDir, port);
        SchemaRegistryServer registry;
        try {
            registry = registryPort < 0 ? null : SchemaRegistryServer.start(KafkaSchemaRegistry.open(
                    Map.of("bootstrap.servers", broker.bootstrapServers()), KafkaSchemaRegistry.DEFAULT_TIMEOUT),
                    registryPort);
        } catch (IOException | RuntimeException e) {
            broker.close();
            throw e;
        }
        Thread hook = new Thread(() -> {
            stopBoth(broker, registry);
            stopRequested.countDown();
        }, "broker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.printf("Kafka broker ready in %.1f s, data in %s%s; schema registry %s; Ctrl-C stops both%n",
                (System.nanoTime() - t0) / 1e9, broker.dataDir(), dataDir == null ? " (deleted on exit)" : "",
                registry == null ? "not started" : "at " + registry.url());
        spec.commandLine().getOut().println(broker.bootstrapServers());
        spec.commandLine().getOut().flush();
        Optional<MetricsServer> endpoint = metrics.start("broker");
        endpoint.ifPresent(m -> ProcessMeters.broker(m.registry()));
        try (AutoCloseable metricsServer = endpoint.isPresent() ? endpoint.get() : () -> { };
             AutoCloseable statusFile = status.start(() -> ProcessStatus.now("broker", null, null, "RUNNING",
                ProcessStatus.Counts.NONE, Map.of()))) {
            stopRequested.await();
        } finally {
            stopBoth(broker, registry);
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is what stopped us
            }
        }
        return 0;
    }

    /** The registry first: its store's clients talk to the broker. Both are safe to close twice. */
    private static void stopBoth(EmbeddedKafkaBroker broker, SchemaRegistryServer registry) {
        if (registry != null) {
            registry.close();
        }
        broker.close();
    }

    /** Stops the broker as Ctrl-C would (for tests, which cannot send the JVM a signal). */
    void stop() {
        stopRequested.countDown();
    }
}
