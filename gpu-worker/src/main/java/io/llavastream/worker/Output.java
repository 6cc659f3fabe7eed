package io.llavastream.worker;

import io.llavastream.topics.Topic;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/** One record a stage wants published: the runtime serializes it with the topic's serdes inside the batch's transaction. */
public record Output<V extends SpecificRecord>(Topic<V> topic, String key, V value) {
    public Output {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(value, "value");
    }
}
