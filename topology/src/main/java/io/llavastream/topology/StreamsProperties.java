package io.llavastream.topology;

import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The {@link org.apache.kafka.streams.KafkaStreams} properties of the pipeline: application id, replication factor,
 * threads and state directory from {@link PipelineConfig}; exactly_once_v2; explicit names enforced for internal
 * topics and stores; dead-lettering exception handlers (deserialization, processing, production); every processor
 * wrapped in a {@link RecordGuard} with this instance's {@link RecordFailures}; and room for records of up to
 * {@link Topics#MAX_RECORD_BYTES} in the producer, the consumer and the internal topics. The caller's Kafka client
 * settings (bootstrap servers, security, tuning) are applied over these, except the processing guarantee, the
 * exception handlers, the processor wrapper and the registry, which the pipeline's correctness rests on.
 */
public final class StreamsProperties {
    /** The topology's commit.interval.ms, unless the caller's client settings give another. */
    public static final long COMMIT_INTERVAL_MS = 300;

    private StreamsProperties() {
    }

    /** The {@link RecordFailures} that {@link #of} put in {@code props}. */
    /** The dead-letter counts {@link #of} put in {@code props}, which the topology and its handler count into. */
    static DeadLetterCounts deadLetterCounts(Properties props) {
        return (DeadLetterCounts) props.get(DeadLetterCounts.CONFIG);
    }

    static RecordFailures failures(Properties props) {
        return (RecordFailures) props.get(RecordGuard.FAILURES_CONFIG);
    }

    public static Properties of(PipelineConfig config, String bootstrapServers, Map<?, ?> clientConfig,
                                SchemaRegistry registry) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) config.replicationFactor());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.numStreamThreads());
        if (config.stateDir() != null) {
            p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir());
        }
        p.put(StreamsConfig.TOPOLOGY_OPTIMIZATION_CONFIG, PipelineTopology.OPTIMIZATIONS);
        p.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, true);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.MAX_REQUEST_SIZE_CONFIG), Topics.MAX_RECORD_BYTES);
        p.put(StreamsConfig.producerPrefix(ProducerConfig.BUFFER_MEMORY_CONFIG), 4L * Topics.MAX_RECORD_BYTES);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), Topics.MAX_RECORD_BYTES);
        p.put(StreamsConfig.topicPrefix(TopicConfig.MAX_MESSAGE_BYTES_CONFIG), Integer.toString(Topics.MAX_RECORD_BYTES));
        // exactly_once_v2 commits every 100 ms by default: a transaction (offsets, markers on every partition the
        // task wrote: sinks, repartition, 4 changelogs) per task 10 times a second. Fewer, larger transactions cost
        // the broker and this process less CPU per post (issue 9; bench pipeline, broker requests per post), at up to
        // this much more latency per pass through the topology; callers can still set their own
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, COMMIT_INTERVAL_MS);
        clientConfig.forEach(p::put);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class);
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandler.class);
        p.put(DeadLetterExceptionHandler.REGISTRY_CONFIG, registry);
        p.put(StreamsConfig.PROCESSOR_WRAPPER_CLASS_CONFIG, RecordGuard.class);
        p.put(RecordGuard.FAILURES_CONFIG, new RecordFailures(config.maxRecordAttempts()));
        p.put(DeadLetterCounts.CONFIG, new DeadLetterCounts());
        return p;
    }
}
