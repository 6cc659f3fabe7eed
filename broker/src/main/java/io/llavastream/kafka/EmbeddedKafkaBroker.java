package io.llavastream.kafka;

import io.llavastream.topics.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;

/**
 * A real Kafka 4.x broker in this JVM: one KRaft node that is broker and controller at once, listening on 127.0.0.1
 * only, with every topic of {@link Topics#ALL} and the schema registry's {@link Topics#SCHEMAS} created
 * (replication factor 1) before {@link #start} returns. It is
 * what the demo, the integration tests and {@code ./llava-stream broker} run on, so that nothing but a JDK is needed.
 * It is {@code kafka.server.KafkaRaftServer} itself rather than a mock or Kafka's test kit: the test kit binds to all
 * interfaces and formats with in-development metadata versions.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final short REPLICATION_FACTOR = 1;

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final boolean deleteOnClose;
    private final String bootstrapServers;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dataDir, boolean deleteOnClose, int port) {
        this.server = server;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.bootstrapServers = BrokerSettings.HOST + ":" + port;
    }

    /** Starts a broker on a free port with its data in a temporary directory that {@link #close} deletes. */
    public static EmbeddedKafkaBroker start() {
        return start(0);
    }

    /** As {@link #start()}, on {@code port} of 127.0.0.1, or on a free port when {@code port} is 0. */
    public static EmbeddedKafkaBroker start(int port) {
        int brokerPort = LocalPorts.resolve(port);
        Path dir;
        try {
            dir = Files.createTempDirectory("llava-kafka-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temporary directory for the broker's data", e);
        }
        return start(dir, brokerPort, true);
    }

    /**
     * Starts a broker that keeps its data in {@code dataDir} (created if missing, reused if formatted before; not
     * deleted on close) and serves clients on {@code port} of 127.0.0.1, or on a free port when {@code port} is 0.
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        int brokerPort = LocalPorts.resolve(port);
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("could not create the broker's data directory " + dataDir, e);
        }
        return start(dataDir, brokerPort, false);
    }

    private static EmbeddedKafkaBroker start(Path dataDir, int port, boolean deleteOnClose) {
        KafkaRaftServer server;
        try {
            Path logDir = dataDir.toAbsolutePath().resolve("kraft-combined-logs");
            KraftStorage.format(logDir);
            KafkaConfig config = new KafkaConfig(BrokerSettings.of(logDir, port, LocalPorts.freeOtherThan(port)), false);
            server = new KafkaRaftServer(config, Time.SYSTEM);
        } catch (RuntimeException e) {
            if (deleteOnClose) {
                deleteRecursively(dataDir);
            }
            throw e;
        }
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(server, dataDir, deleteOnClose, port);
        try {
            server.startup(); // returns once the broker is registered with the controller and unfenced
            broker.createTopics(Topics.newTopics(REPLICATION_FACTOR));
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return broker;
    }

    /** {@code host:port} for a client's {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** Where the broker keeps its data. */
    public Path dataDir() {
        return dataDir;
    }

    /** Creates the topics that do not exist yet; existing topics are left as they are. */
    public void createTopics(Collection<NewTopic> topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            Map<String, KafkaFuture<Void>> results = admin.createTopics(topics).values();
            for (Map.Entry<String, KafkaFuture<Void>> r : results.entrySet()) {
                try {
                    r.getValue().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("could not create topic " + r.getKey() + " on "
                                + bootstrapServers + ": " + e.getCause().getMessage(), e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while creating topic " + r.getKey(), e);
                }
            }
        }
    }

    /** Stops the broker and, when it owns a temporary data directory, deletes it. Safe to call twice. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            if (deleteOnClose) {
                deleteRecursively(dataDir);
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete the broker's temporary data in " + dir, e);
        }
    }
}
