package io.llavastream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Precedence: defaults, then the file, then LLAVA_KAFKA_* variables, then --bootstrap-servers. */
class KafkaClientConfigTest {
    @TempDir
    Path dir;

    Path file(String text) throws Exception {
        return Files.writeString(dir.resolve("client.properties"), text);
    }

    @Test
    void withNothingGivenBootstrapServersIsTheLocalBrokerCommandsDefaultPort() {
        KafkaClientConfig c = KafkaClientConfig.load(null, Map.of(), null);
        assertThat(c.bootstrapServers()).isEqualTo("127.0.0.1:9092");
        assertThat(c.common()).containsOnlyKeys("bootstrap.servers");
    }

    @Test
    void theFileOverridesTheDefaults() throws Exception {
        Path f = file("bootstrap.servers=kafka-1:9093\nsecurity.protocol=SASL_SSL\nsasl.mechanism = PLAIN \n");
        KafkaClientConfig c = KafkaClientConfig.load(f, Map.of(), null);
        assertThat(c.common()).containsEntry("bootstrap.servers", "kafka-1:9093")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "PLAIN");
    }

    @Test
    void environmentVariablesOverrideTheFile() throws Exception {
        Path f = file("security.protocol=SASL_SSL\nsasl.jaas.config=from-file\n");
        KafkaClientConfig c = KafkaClientConfig.load(f, Map.of("LLAVA_KAFKA_SASL_JAAS_CONFIG", "from-env",
                "LLAVA_KAFKA_BOOTSTRAP_SERVERS", "env-host:9092"), null);
        assertThat(c.common()).containsEntry("sasl.jaas.config", "from-env")
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("bootstrap.servers", "env-host:9092");
    }

    @Test
    void explicitBootstrapServersOverrideTheEnvironmentAndTheFile() throws Exception {
        Path f = file("bootstrap.servers=file-host:9092\n");
        KafkaClientConfig c = KafkaClientConfig.load(f, Map.of("LLAVA_KAFKA_BOOTSTRAP_SERVERS", "env-host:9092"),
                " flag-host:9092 ");
        assertThat(c.bootstrapServers()).isEqualTo("flag-host:9092");
        assertThat(c.properties().getProperty("bootstrap.servers")).isEqualTo("flag-host:9092");
    }

    @Test
    void blankExplicitBootstrapServersLeaveTheOtherSourcesValue() {
        KafkaClientConfig c = KafkaClientConfig.load(null, Map.of("LLAVA_KAFKA_BOOTSTRAP_SERVERS", "env-host:9092"),
                " ");
        assertThat(c.bootstrapServers()).isEqualTo("env-host:9092");
    }

    @Test
    void environmentNamesBecomeLowerCaseDottedPropertiesAndOtherOrEmptyVariablesAreIgnored() {
        Map<String, String> env = Map.of("LLAVA_KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/ts.jks",
                "LLAVA_KAFKA_SASL_MECHANISM", "", "LLAVA_KAFKA_", "x", "KAFKA_SASL_MECHANISM", "PLAIN",
                "PATH", "/usr/bin");
        assertThat(KafkaClientConfig.fromEnvironment(env)).containsExactlyEntriesOf(
                Map.of("ssl.truststore.location", "/etc/ts.jks"));
    }

    @Test
    void aMissingFileIsRefusedWithItsPath() {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> KafkaClientConfig.load(missing, Map.of(), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("properties file");
    }

    @Test
    void producersAndConsumersGetLargeRecordSettingsUnlessTheUserSetsThem() throws Exception {
        KafkaClientConfig plain = KafkaClientConfig.load(null, Map.of(), null);
        assertThat(plain.producer()).containsEntry("max.request.size", Topics.MAX_RECORD_BYTES)
                .containsEntry("buffer.memory", 4L * Topics.MAX_RECORD_BYTES);
        assertThat(plain.consumer()).containsEntry("max.partition.fetch.bytes", Topics.MAX_RECORD_BYTES)
                .containsEntry("fetch.max.bytes", 4 * Topics.MAX_RECORD_BYTES);
        assertThat(plain.admin()).doesNotContainKeys("max.request.size", "fetch.max.bytes");
        assertThat(plain.producer()).containsEntry("send.buffer.bytes", -1);  // the OS's autotuned buffers
        assertThat(plain.consumer()).containsEntry("receive.buffer.bytes", -1);

        KafkaClientConfig user = KafkaClientConfig.load(file("buffer.memory=268435456\n"),
                Map.of("LLAVA_KAFKA_FETCH_MAX_BYTES", "1000"), null);
        assertThat(user.producer()).containsEntry("buffer.memory", "268435456")
                .containsEntry("max.request.size", Topics.MAX_RECORD_BYTES);
        assertThat(user.consumer()).containsEntry("fetch.max.bytes", "1000");
    }

    @Test
    void largeRecordSettingsAreValidProducerAndConsumerConfigs() {
        Map<String, Object> p = new HashMap<>(KafkaClientConfig.load(null, Map.of(), null).producer());
        p.put("key.serializer", StringSerializer.class);
        p.put("value.serializer", StringSerializer.class);
        assertThat(new ProducerConfig(p).getInt("max.request.size")).isEqualTo(Topics.MAX_RECORD_BYTES);
        assertThat(new ProducerConfig(p).getInt("send.buffer.bytes")).isEqualTo(-1);
        Map<String, Object> c = new HashMap<>(KafkaClientConfig.load(null, Map.of(), null).consumer());
        c.put("key.deserializer", StringDeserializer.class);
        c.put("value.deserializer", StringDeserializer.class);
        assertThat(new ConsumerConfig(c).getInt("fetch.max.bytes")).isEqualTo(4 * Topics.MAX_RECORD_BYTES);
        assertThat(new ConsumerConfig(c).getInt("receive.buffer.bytes")).isEqualTo(-1);
    }

    @Test
    void streamsGetsPrefixedLargeRecordSettingsThatYieldToTheUsersPlainOnes() throws Exception {
        Properties s = KafkaClientConfig.load(file("max.request.size=1048576\n"), Map.of(), null).streams();
        assertThat(s).containsEntry("max.request.size", "1048576")
                .doesNotContainKey("producer.max.request.size")
                .containsEntry("producer.buffer.memory", 4L * Topics.MAX_RECORD_BYTES)
                .containsEntry("consumer.max.partition.fetch.bytes", Topics.MAX_RECORD_BYTES)
                .containsEntry("bootstrap.servers", "127.0.0.1:9092");
    }
}
