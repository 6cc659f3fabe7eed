package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class WorkerConfigTest {

    @Test
    void defaultsNameTheGroupAfterTheStageAndGiveEachProcessItsOwnTransactionalId() {
        WorkerConfig a = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1,h:2"));
        WorkerConfig b = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1,h:2"));
        assertThat(a.groupId()).isEqualTo("llava-vision");
        assertThat(a.transactionalId()).startsWith("llava-vision-").isNotEqualTo(b.transactionalId());
        assertThat(a.maxBatchSize()).isEqualTo(8);
        assertThat(a.modelDir()).isNull();
    }

    @Test
    void aConfiguredInstanceIdMakesTheTransactionalIdStable() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "merge", "bootstrap.servers", "h:1",
                "instance.id", "m0", "group.id", "g"));
        assertThat(c.transactionalId()).isEqualTo("llava-merge-m0");
        assertThat(c.groupId()).isEqualTo("g");
    }

    @Test
    void exactlyOnceSettingsAreForcedAndOtherClientPropertiesPassThrough() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1",
                "isolation.level", "read_uncommitted", "security.protocol", "SASL_SSL", "max.batch.size", "3",
                "enable.auto.commit", "true"));
        Map<String, Object> consumer = c.consumerProperties();
        assertThat(consumer).containsEntry("isolation.level", "read_committed")
                .containsEntry("enable.auto.commit", false).containsEntry("group.id", "llava-vision")
                .containsEntry("security.protocol", "SASL_SSL").containsEntry("max.poll.records", 3)
                .containsEntry("bootstrap.servers", "h:1").doesNotContainKeys("stage", "max.batch.size");
        Map<String, Object> producer = c.producerProperties();
        assertThat(producer).containsEntry("transactional.id", c.transactionalId())
                .containsEntry("enable.idempotence", true).containsEntry("security.protocol", "SASL_SSL")
                .doesNotContainKeys("stage", "group.id", "max.batch.size");
    }

    @Test
    void realClientsAcceptThePropertiesWithoutABroker() {
        WorkerConfig c = new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "127.0.0.1:1"));
        new KafkaConsumer<byte[], byte[]>(c.consumerProperties()).close(Duration.ZERO);
        new KafkaProducer<byte[], byte[]>(c.producerProperties()).close(Duration.ZERO);
    }

    @Test
    void refusesAnUnknownStageAndAZeroBatch() {
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "paint", "bootstrap.servers", "h:1")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("stage");
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "vision", "bootstrap.servers", "h:1",
                "max.batch.size", 0))).isInstanceOf(ConfigException.class).hasMessageContaining("max.batch.size");
        assertThatThrownBy(() -> new WorkerConfig(Map.of("stage", "vision")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("bootstrap.servers");
    }
}
