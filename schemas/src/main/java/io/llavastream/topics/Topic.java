package io.llavastream.topics;

import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * A topic: its name, partition count (the most consumers a stage can run in parallel), topic configs and value
 * type. Values are Avro in Confluent's wire format; keys are UTF-8 strings.
 */
public record Topic<V extends SpecificRecord>(String name, int partitions, Map<String, String> configs,
                                               Class<V> valueType) {

    public Serde<String> keySerde() {
        return Serdes.String();
    }

    public AvroSerde<V> valueSerde(SchemaRegistry registry) {
        return new AvroSerde<>(valueType, registry);
    }

    public NewTopic newTopic(short replicationFactor) {
        return new NewTopic(name, Optional.of(partitions), Optional.of(replicationFactor)).configs(configs);
    }
}
