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
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The safety net behind the topology's own checks: a record on {@link Topics#ANSWERS} or
 * {@link Topics#VISION_FEATURES} that does not deserialize, or any record a processor throws on, becomes a
 * {@link DeadLetter} on {@link Topics#DEAD_LETTERS} (written in the same transaction) with the source record's raw
 * bytes, and processing resumes. Only an unreachable schema registry fails the thread, because that is not the
 * record's fault. Kafka Streams creates this class by name, so the registry comes in as the object value of
 * {@value #REGISTRY_CONFIG}.
 */
public final class DeadLetterExceptionHandler implements DeserializationExceptionHandler, ProcessingExceptionHandler {
    /** Streams property holding the {@link SchemaRegistry} instance the dead letters are written with. */
    public static final String REGISTRY_CONFIG = "llava.schema.registry";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExceptionHandler.class);
    private AvroSerde<DeadLetter> serde;

    @Override
    public void configure(Map<String, ?> configs) {
        Object registry = configs.get(REGISTRY_CONFIG);
        if (!(registry instanceof SchemaRegistry r)) {
            throw new ConfigException(REGISTRY_CONFIG, registry, "must be a " + SchemaRegistry.class.getName());
        }
        serde = Topics.DEAD_LETTERS.valueSerde(r);
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

    private ProducerRecord<byte[], byte[]> deadLetter(ErrorHandlerContext context, byte[] key, byte[] value,
                                                      Exception exception) {
        String type = errorType(exception);
        LOG.warn("dead-lettering {}-{}@{} at {}: {}: {}", context.topic(), context.partition(), context.offset(),
                context.processorNodeId(), type, exception.getMessage());
        DeadLetter letter = DeadLetters.of(context.topic(), context.partition(), context.offset(), key, value, type,
                exception.getMessage(), System.currentTimeMillis());
        return new ProducerRecord<>(Topics.DEAD_LETTERS.name(), key,
                serde.serialize(Topics.DEAD_LETTERS.name(), letter));
    }

    private static boolean isTransient(Exception e) {
        return e instanceof SerdeException s && s.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE;
    }

    private static String errorType(Exception e) {
        if (e instanceof SerdeException s) {
            return s.reason().name();
        }
        if (e instanceof InvalidRecordException i) {
            return i.errorType();
        }
        return DeadLetterReason.PROCESSING_ERROR.name();
    }
}
