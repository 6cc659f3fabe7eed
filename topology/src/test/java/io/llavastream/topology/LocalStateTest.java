package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.serde.InMemorySchemaRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Local state from another Kafka cluster is wiped before the topology starts; its own is kept. */
class LocalStateTest {
    @TempDir
    Path stateDir;

    /** {@code body} with a KafkaStreams of the pipeline over {@link #stateDir} (created, not started). */
    boolean claim(String clusterId) {
        PipelineConfig config = BrokerFixture.config(stateDir, Map.of());
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        Properties props = StreamsProperties.of(config, "127.0.0.1:1", Map.of(), registry);
        try (KafkaStreams streams = new KafkaStreams(PipelineTopology.build(PipelineTopology.newBuilder(props),
                config, registry, StreamsProperties.deadLetterCounts(props)), props)) {
            return LocalState.claim(streams, LocalState.appDir(props), clusterId);
        }
    }

    Path appDir() {
        return stateDir.resolve("llava-topology");
    }

    Path taskState() throws Exception {
        Path store = appDir().resolve("2_3").resolve("rocksdb").resolve("completed-posts");
        Files.createDirectories(store);
        Files.writeString(store.resolve("000001.sst"), "old");
        return appDir().resolve("2_3");
    }

    String stamp() throws Exception {
        return Files.readString(appDir().resolve(LocalState.STAMP_FILE)).trim();
    }

    @Test
    void stateFromAnotherClusterIsWipedAndTheNewClusterRecorded() throws Exception {
        Path task = taskState();
        Files.writeString(appDir().resolve(LocalState.STAMP_FILE), "old-cluster\n");
        assertThat(claim("new-cluster")).isTrue();
        assertThat(task).doesNotExist();
        assertThat(stamp()).isEqualTo("new-cluster");
    }

    @Test
    void stateFromTheSameClusterIsKept() throws Exception {
        Path task = taskState();
        Files.writeString(appDir().resolve(LocalState.STAMP_FILE), "this-cluster\n");
        assertThat(claim("this-cluster")).isFalse();
        assertThat(task.resolve("rocksdb/completed-posts/000001.sst")).exists();
    }

    @Test
    void stateFromAnUnrecordedClusterIsWiped() throws Exception {
        Path task = taskState();
        assertThat(claim("this-cluster")).isTrue();
        assertThat(task).doesNotExist();
        assertThat(stamp()).isEqualTo("this-cluster");
    }

    @Test
    void aFirstStartOnlyRecordsTheCluster() throws Exception {
        assertThat(claim("this-cluster")).isFalse();
        assertThat(stamp()).isEqualTo("this-cluster");
    }
}
