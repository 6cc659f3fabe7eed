package io.llavastream.stage;

import io.llavastream.topics.Topic;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/** One record a stage wants published: the driver serializes it with the topic's serdes. */
public record Output<V extends SpecificRecord>(Topic<V> topic, String key, V value) {
    public Output {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(value, "value");
    }
}
