package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** The shared Kafka options parse into a client config in which --bootstrap-servers beats the file. */
class KafkaOptionsTest {
    @Command(name = "probe")
    static final class Probe implements Runnable {
        @Mixin
        KafkaOptions kafka;

        @Override
        public void run() {
        }
    }

    @TempDir
    Path dir;

    @Test
    void bootstrapServersFlagOverridesTheClientConfigFile() throws Exception {
        Path file = Files.writeString(dir.resolve("c.properties"),
                "bootstrap.servers=file-host:9092\nsecurity.protocol=SSL\n");
        Probe probe = new Probe();
        new CommandLine(probe).parseArgs("--bootstrap-servers", "flag-host:9093", "--client-config", file.toString());
        var config = probe.kafka.load();
        assertThat(config.bootstrapServers()).isEqualTo("flag-host:9093");
        assertThat(config.common()).containsEntry("security.protocol", "SSL");
    }
}
