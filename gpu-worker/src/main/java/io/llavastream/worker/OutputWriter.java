package io.llavastream.worker;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.stage.Output;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serializes a stage's outputs and dead letters before any transaction begins, checking each against
 * {@link Topics#MAX_RECORD_BYTES}: an output that cannot be published fails its own input here (OUTPUT_ERROR)
 * instead of aborting the transaction of every input with it, again and again.
 */
final class OutputWriter {
    private static final Logger LOG = LoggerFactory.getLogger(OutputWriter.class);

    private final SchemaRegistry registry;
    private final DeadLetters deadLetters;
    private final Map<Topic<?>, AvroSerde<?>> serdes = new HashMap<>();

    OutputWriter(SchemaRegistry registry, DeadLetters deadLetters) {
        this.registry = registry;
        this.deadLetters = deadLetters;
    }

    /**
     * The records to produce for {@code outputs}.
     *
     * @throws OutputException when one is over the record limit or cannot be serialized
     * @throws io.llavastream.serde.SerdeException REGISTRY_UNAVAILABLE when the registry cannot be reached
     */
    List<ProducerRecord<byte[], byte[]>> serialize(List<Output<?>> outputs) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(outputs.size());
        for (Output<?> o : outputs) {
            out.add(serialize(o));
        }
        return out;
    }

    /**
     * The dead letter of {@code record}, keyed by its original key bytes. When even that cannot be published
     * (the original is too large to copy), one without the original bytes.
     */
    ProducerRecord<byte[], byte[]> deadLetter(ConsumerRecord<byte[], byte[]> record, DeadLetterReason reason,
                                              String message) {
        String name = Topics.DEAD_LETTERS.name();
        try {
            return new ProducerRecord<>(name, record.key(), checked(name, value(Topics.DEAD_LETTERS,
                    deadLetters.of(record, reason.name(), message))));
        } catch (OutputException e) {
            LOG.warn("dead letter of {} cannot carry the original bytes: {}", RecordId.of(record), e.getMessage());
            ConsumerRecord<byte[], byte[]> bare = new ConsumerRecord<>(record.topic(), record.partition(),
                    record.offset(), null, null);
            return new ProducerRecord<>(name, record.key(), checked(name, value(Topics.DEAD_LETTERS,
                    deadLetters.of(bare, reason.name(), message + " (original bytes omitted: " + e.getMessage()
                            + ")"))));
        }
    }

    /** The record of one output; see {@link #serialize(List)}. */
    <V extends SpecificRecord> ProducerRecord<byte[], byte[]> serialize(Output<V> o) {
        String topic = o.topic().name();
        byte[] value = checked(topic, value(o.topic(), o.value()));
        byte[] key = o.key() == null ? null : o.topic().keySerde().serializer().serialize(topic, o.key());
        return new ProducerRecord<>(topic, key, value);
    }

    private <V extends SpecificRecord> byte[] value(Topic<V> topic, V value) {
        @SuppressWarnings("unchecked")
        AvroSerde<V> serde = (AvroSerde<V>) serdes.computeIfAbsent(topic, t -> t.valueSerde(registry));
        try {
            return serde.serialize(topic.name(), value);
        } catch (RuntimeException e) {
            if (RecordReader.registryUnavailable(e)) {
                throw e;
            }
            throw new OutputException(value.getSchema().getName() + " for " + topic.name()
                    + " cannot be serialized: " + e, e);
        }
    }

    private static byte[] checked(String topic, byte[] value) {
        if (value.length > Topics.MAX_RECORD_BYTES) {
            throw new OutputException("the record for " + topic + " is " + value.length + " bytes, over the "
                    + Topics.MAX_RECORD_BYTES + "-byte record limit");
        }
        return value;
    }

    /** An output that cannot be published: too large, or not serializable. */
    static final class OutputException extends RuntimeException {
        OutputException(String message) {
            super(message);
        }

        OutputException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
