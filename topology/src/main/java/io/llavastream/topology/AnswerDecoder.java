package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.Answer;
import io.llavastream.serde.AvroSerde;
import io.llavastream.topics.Topics;
import org.apache.kafka.streams.kstream.ValueMapperWithKey;

/**
 * Decodes a record of {@link Topics#ANSWERS} from its raw bytes inside the topology, where {@link RecordGuard} sees
 * it, rather than in the source's deserializer. A null value (answers carry no deletes) is refused as NULL_VALUE,
 * bytes that are not an Answer with the serde's reason (NOT_AVRO, UNKNOWN_SCHEMA_ID, ...); both exceptions reach
 * {@link DeadLetterExceptionHandler}, which dead-letters the original bytes to {@link Topics#DEAD_LETTERS}.
 */
final class AnswerDecoder implements ValueMapperWithKey<String, byte[], Answer> {
    private final AvroSerde<Answer> serde;

    AnswerDecoder(AvroSerde<Answer> serde) {
        this.serde = serde;
    }

    @Override
    public Answer apply(String key, byte[] value) {
        if (value == null) {
            throw new InvalidRecordException(DeadLetterReason.NULL_VALUE.name(), "record on " + Topics.ANSWERS.name()
                    + " with key " + key + " has a null value (a tombstone); answers carry no deletes");
        }
        return serde.deserialize(Topics.ANSWERS.name(), value);
    }
}
