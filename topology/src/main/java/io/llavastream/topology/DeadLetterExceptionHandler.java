package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net behind the topology's own checks: a record on the repartition topic that does not deserialize, any record a processor throws on, and any input whose output cannot be
 * serialized (over its topic's limit: RECORD_TOO_LARGE; otherwise OUTPUT_ERROR) becomes a {@link DeadLetter} on
 * {@link Topics#DEAD_LETTERS} (written in the same transaction) with the source record's raw bytes, and processing
 * resumes. A transient failure ({@link Failures#isTransient}: an unreachable schema registry) fails the thread,
 * because that is not the record's fault. So does an error the producer reports for a record it was sent: under
 * exactly_once_v2 it has already doomed the transaction, so there is nothing to resume; {@link
 * StreamThreadFailureHandler} replaces the thread and, should the same record keep causing it, {@link RecordGuard}
 * dead-letters that record (REPEATED_FAILURE). Outputs are measured before they are sent ({@link LimitedSerde}) so
 * that an oversized one takes the serialization path. Kafka Streams creates this class by name, so the registry
 * comes in as the object value of {@value #REGISTRY_CONFIG}, and the {@link DeadLetterCounts} it counts into as
 * that of {@value DeadLetterCounts#CONFIG}.
 */
public final class DeadLetterExceptionHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler,
        ProductionExceptionHandler {
    /** Streams property holding the {@link SchemaRegistry} instance the dead letters are written with. */
    public static final String REGISTRY_CONFIG = "llava.schema.registry";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExceptionHandler.class);
    private AvroSerde<DeadLetter> serde;
    private DeadLetterCounts counts;

    @Override
    public void configure(Map<String, ?> configs) {
        Object registry = configs.get(REGISTRY_CONFIG);
        if (!(registry instanceof SchemaRegistry r)) {
            throw new ConfigException(REGISTRY_CONFIG, registry, "must be a " + SchemaRegistry.class.getName());
        }
        serde = Topics.DEAD_LETTERS.valueSerde(r);
        Object c = configs.get(DeadLetterCounts.CONFIG);
        if (!(c instanceof DeadLetterCounts d)) {
            throw new ConfigException(DeadLetterCounts.CONFIG, c, "must be a " + DeadLetterCounts.class.getName());
        }
        counts = d;
    }

    @Override
    public DeserializationExceptionHandler.Response handleError(ErrorHandlerContext context,
                                                                ConsumerRecord<byte[], byte[]> record,
                                                                Exception exception) {
        if (isTransient(exception)) {
            return DeserializationExceptionHandler.Response.fail();
        }
        return DeserializationExceptionHandler.Response.resume(
                List.of(deadLetter(context, record.key(), record.value(), exception)));
    }

    @Override
    public ProcessingExceptionHandler.Response handleError(ErrorHandlerContext context, Record<?, ?> record,
                                                           Exception exception) {
        if (isTransient(exception)) {
            return ProcessingExceptionHandler.Response.fail();
        }
        return ProcessingExceptionHandler.Response.resume(
                List.of(deadLetter(context, context.sourceRawKey(), context.sourceRawValue(), exception)));
    }

    /** An output that cannot be serialized: dead-letter the input that produced it, and go on. */
    @Override
    public ProductionExceptionHandler.Response handleSerializationError(ErrorHandlerContext context,
                                                                        ProducerRecord record, Exception exception,
                                                                        SerializationExceptionOrigin origin) {
        if (isTransient(exception)) {
            return ProductionExceptionHandler.Response.fail();
        }
        Exception described = new InvalidRecordException(outputErrorType(exception), "its output to "
                + record.topic() + " cannot be written: " + exception.getMessage());
        return ProductionExceptionHandler.Response.resume(
                List.of(deadLetter(context, context.sourceRawKey(), context.sourceRawValue(), described)));
    }

    /** The producer refused or failed a record: the transaction is lost either way, so fail the thread. */
    @Override
    public ProductionExceptionHandler.Response handleError(ErrorHandlerContext context,
                                                           ProducerRecord<byte[], byte[]> record, Exception exception) {
        LOG.error("the producer could not write a record to {} for input {}-{}@{}: {}; the transaction is aborted "
                + "and the thread replaced", record.topic(), context.topic(), context.partition(), context.offset(),
                exception.toString());
        return ProductionExceptionHandler.Response.fail();
    }

    private ProducerRecord<byte[], byte[]> deadLetter(ErrorHandlerContext context, byte[] key, byte[] value,
                                                      Exception exception) {
        String type = errorType(exception);
        LOG.warn("dead-lettering {}-{}@{} at {}: {}: {}", context.topic(), context.partition(), context.offset(),
                context.processorNodeId(), type, exception.getMessage());
        DeadLetter letter = counts.counted(DeadLetters.of(context.topic(), context.partition(), context.offset(), key,
                value, type, exception.getMessage(), System.currentTimeMillis()));
        return new ProducerRecord<>(Topics.DEAD_LETTERS.name(), key,
                serde.serialize(Topics.DEAD_LETTERS.name(), letter));
    }

    private static boolean isTransient(Exception e) {
        return Failures.isTransient(e);
    }

    private static String outputErrorType(Exception e) {
        return e instanceof RecordTooLargeException ? DeadLetterReason.RECORD_TOO_LARGE.name()
                : DeadLetterReason.OUTPUT_ERROR.name();
    }

    private static String errorType(Exception e) {
        if (e instanceof SerdeException s) {
            return s.reason().name();
        }
        if (e instanceof InvalidRecordException i) {
            return i.errorType();
        }
        if (e instanceof RecordTooLargeException) {
            return DeadLetterReason.RECORD_TOO_LARGE.name();
        }
        return DeadLetterReason.PROCESSING_ERROR.name();
    }
}
