package io.llavastream.worker;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topic;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Decodes consumed bytes with the input topic's serde. A record that cannot be read is a refusal with its
 * {@link DeadLetterReason}, never an exception; only a registry that cannot be reached throws (it says nothing
 * about the record, so the record must not be dead-lettered: the driver backs off and reads it again).
 */
final class RecordReader<I extends SpecificRecord> {
    private final AvroSerde<I> serde;

    /** A decoded input, or why there is none. */
    record Read<I>(I value, DeadLetterReason refusal, String message) {
        static <I> Read<I> refused(DeadLetterReason reason, String message) {
            return new Read<>(null, reason, message);
        }

        boolean ok() {
            return refusal == null;
        }
    }

    RecordReader(Topic<I> topic, SchemaRegistry registry) {
        this.serde = topic.valueSerde(registry);
    }

    /** @throws SerdeException with reason REGISTRY_UNAVAILABLE, the one transient failure */
    Read<I> read(ConsumerRecord<byte[], byte[]> r) {
        if (r.value() == null) {
            return Read.refused(DeadLetterReason.NULL_VALUE, "record has no value (a tombstone?); "
                    + r.topic() + " carries no deletes");
        }
        try {
            return new Read<>(serde.deserialize(r.topic(), r.value()), null, null);
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                throw e;
            }
            return Read.refused(reason(e), e.getMessage());
        } catch (RuntimeException e) {  // whatever Avro refuses is not the topic's record
            return Read.refused(DeadLetterReason.NOT_AVRO, "cannot decode " + r.value().length + " bytes as "
                    + serde.getClass().getSimpleName() + ": " + e);
        }
    }

    /** The serde's reason as a dead-letter reason of the same name (NOT_AVRO when there is none). */
    static DeadLetterReason reason(SerdeException e) {
        try {
            return DeadLetterReason.valueOf(e.reason().name());
        } catch (IllegalArgumentException unknown) {
            return DeadLetterReason.NOT_AVRO;
        }
    }

    /** True for a registry outage anywhere in {@code e}'s causes. */
    static boolean registryUnavailable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SerdeException s && s.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                return true;
            }
        }
        return false;
    }
}
