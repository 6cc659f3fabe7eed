package io.llavastream.topology;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The instance's local state (RocksDB stores and checkpoints under {@code <state.dir>/<application.id>}) and the
 * Kafka cluster it was built from. State kept from another cluster is wrong in a way Kafka Streams cannot see: a
 * fresh cluster's changelog and source topics are empty, and Kafka Streams takes an empty changelog as "nothing to
 * restore" and keeps what is on disk. The old completed-posts entries then swallow posts that reuse an id, and old
 * pending posts carry schema ids another registry handed out. So {@link #claim} writes the cluster id
 * ({@code Admin.describeCluster}) in {@value #STAMP_FILE} beside the state, and wipes the state
 * ({@link KafkaStreams#cleanUp()}) before starting when it belongs to another cluster, or to an unknown one
 * (state older than the stamp). Touches no topic.
 */
final class LocalState {
    static final String STAMP_FILE = "llava-cluster-id";
    private static final Logger LOG = LoggerFactory.getLogger(LocalState.class);
    private static final Duration DESCRIBE_TIMEOUT = Duration.ofSeconds(60);

    private LocalState() {
    }

    /** {@code <state.dir>/<application.id>}, the directory Kafka Streams keeps this application's state in. */
    static Path appDir(Properties streamsProperties) {
        StreamsConfig c = new StreamsConfig(streamsProperties);
        return Path.of(c.getString(StreamsConfig.STATE_DIR_CONFIG), c.getString(StreamsConfig.APPLICATION_ID_CONFIG));
    }

    /** The id of the cluster {@code streamsProperties} connect to; waits up to 60 s for it. */
    static String clusterId(Properties streamsProperties) {
        StreamsConfig c = new StreamsConfig(streamsProperties);
        try (Admin admin = Admin.create(c.getAdminConfigs(c.getString(StreamsConfig.APPLICATION_ID_CONFIG)
                + "-state-check"))) {
            return admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) DESCRIBE_TIMEOUT.toMillis()))
                    .clusterId().get(DESCRIBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot reach Kafka at " + c.getList(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)
                    + " to learn its cluster id (needed to check that the local state belongs to it): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking Kafka for its cluster id", e);
        }
    }

    /**
     * Makes the state in {@code appDir} belong to {@code clusterId}: wiped with {@code streams.cleanUp()} (which
     * must not be started yet) when it was built from another cluster or from one not recorded, then stamped.
     *
     * @return true when state was wiped
     */
    static boolean claim(KafkaStreams streams, Path appDir, String clusterId) {
        Path stamp = appDir.resolve(STAMP_FILE);
        try {
            String previous = Files.exists(stamp) ? Files.readString(stamp, StandardCharsets.UTF_8).trim() : null;
            if (clusterId.equals(previous)) {
                return false;
            }
            boolean wipe = previous != null || hasTaskState(appDir);
            if (wipe) {
                LOG.warn("local state in {} was built from {}, not from this cluster ({}); wiping it, it is "
                        + "restored from this cluster's topics", appDir, previous == null ? "an unrecorded cluster"
                        : "cluster " + previous, clusterId);
                streams.cleanUp();
            }
            Files.createDirectories(appDir);
            Files.writeString(stamp, clusterId + "\n", StandardCharsets.UTF_8);
            return wipe;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write " + stamp, e);
        }
    }

    private static boolean hasTaskState(Path appDir) throws IOException {
        if (!Files.isDirectory(appDir)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(appDir)) {
            return entries.anyMatch(Files::isDirectory);
        }
    }
}
