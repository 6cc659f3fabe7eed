package io.llavastream.topics;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * A topic whose keys and values are JSON documents in UTF-8, not Avro. The only one is the schema registry's store,
 * {@link Topics#SCHEMAS}: it cannot use Confluent's Avro wire format, because reading it would need the registry
 * itself.
 */
public record JsonTopic(String name, int partitions, Map<String, String> configs) {
    public NewTopic newTopic(short replicationFactor) {
        return new NewTopic(name, Optional.of(partitions), Optional.of(replicationFactor)).configs(configs);
    }
}
