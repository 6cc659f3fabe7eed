package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

class StreamsPropertiesTest {
    static final PipelineConfig CONFIG = new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
            PipelineConfig.REPLICATION_FACTOR_CONFIG, "1"));

    @Test
    void exactlyOnceWithLargeRecordsAndConfiguredReplication() {
        StreamsConfig c = new StreamsConfig(StreamsProperties.of(CONFIG, "localhost:9092", Map.of(),
                new InMemorySchemaRegistry()));
        assertThat(c.getString(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(c.getString(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("llava-topology");
        assertThat(c.getInt(StreamsConfig.REPLICATION_FACTOR_CONFIG)).isEqualTo(1);
        assertThat(c.getProducerConfigs("client").get("max.request.size")).isEqualTo(Topics.MAX_RECORD_BYTES);
        assertThat(c.originals().get(StreamsConfig.topicPrefix("max.message.bytes")))
                .isEqualTo(Integer.toString(Topics.MAX_RECORD_BYTES));
    }

    @Test
    void everyErrorHandlerDeadLettersAndEveryProcessorIsGuarded() {
        StreamsConfig c = new StreamsConfig(StreamsProperties.of(CONFIG, "localhost:9092", Map.of(
                StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, "org.example.Other",
                StreamsConfig.PROCESSOR_WRAPPER_CLASS_CONFIG, "org.example.Other"), new InMemorySchemaRegistry()));
        for (String handler : new String[] {StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG}) {
            assertThat(c.getClass(handler)).as(handler).isEqualTo(DeadLetterExceptionHandler.class);
        }
        assertThat(c.getClass(StreamsConfig.PROCESSOR_WRAPPER_CLASS_CONFIG)).isEqualTo(RecordGuard.class);
        assertThat(c.originals().get(RecordGuard.FAILURES_CONFIG)).isInstanceOf(RecordFailures.class);
    }

    @Test
    void clientSettingsApplyButCannotWeakenTheGuarantee() {
        Properties p = StreamsProperties.of(CONFIG, "localhost:9092", Map.of("security.protocol", "SASL_SSL",
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE), new InMemorySchemaRegistry());
        assertThat(p).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    }
}
