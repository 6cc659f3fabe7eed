package io.llavastream.topology;

import io.llavastream.serde.SchemaRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running pipeline topology: one {@link KafkaStreams} instance of {@link PipelineTopology} with
 * {@link StreamsProperties}. Reads and writes the topics {@link PipelineTopology} names. Before it starts, local
 * state left by another Kafka cluster is wiped ({@link LocalState}). A stream thread that dies (e.g. the schema
 * registry is unreachable) is replaced with backoff and resumes from its last committed transaction; a record that
 * keeps killing it is dead-lettered, and deaths that no record explains stop the instance
 * ({@link StreamThreadFailureHandler}). {@code ./llava-stream topology} and the in-JVM demo start it; more instances
 * with the same application.id share the work.
 */
public final class PipelineTopologyApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineTopologyApp.class);
    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    private final KafkaStreams streams;
    private final StreamThreadFailureHandler failures;
    private final boolean wipedForeignState;
    private final DeadLetterCounts deadLetters;
    private final String visionModelId;

    private PipelineTopologyApp(KafkaStreams streams, StreamThreadFailureHandler failures, boolean wipedForeignState,
                                DeadLetterCounts deadLetters, String visionModelId) {
        this.streams = streams;
        this.failures = failures;
        this.wipedForeignState = wipedForeignState;
        this.deadLetters = deadLetters;
        this.visionModelId = visionModelId;
    }

    /** Starts the topology against {@code bootstrapServers} with no other client settings. */
    public static PipelineTopologyApp start(String bootstrapServers, PipelineConfig config, SchemaRegistry registry) {
        return start(bootstrapServers, Map.of(), config, registry);
    }

    /**
     * Starts the topology; {@code clientConfig} holds Kafka client settings (security, tuning) applied over the
     * defaults, see {@link StreamsProperties}. Asks the cluster for its id first (up to 60 s), then returns at once;
     * {@link #awaitRunning} waits for the first assignment.
     */
    public static PipelineTopologyApp start(String bootstrapServers, Map<?, ?> clientConfig, PipelineConfig config,
                                            SchemaRegistry registry) {
        Properties props = StreamsProperties.of(config, bootstrapServers, clientConfig, registry);
        String clusterId = LocalState.clusterId(props);
        LabelTopics.ensure(props, config);
        DeadLetterCounts deadLetters = StreamsProperties.deadLetterCounts(props);
        KafkaStreams streams = new KafkaStreams(
                PipelineTopology.build(PipelineTopology.newBuilder(props), config, registry, deadLetters), props);
        boolean wiped = LocalState.claim(streams, LocalState.appDir(props), clusterId);
        StreamThreadFailureHandler failures = new StreamThreadFailureHandler(StreamsProperties.failures(props), config);
        streams.setUncaughtExceptionHandler(failures);
        streams.start();
        return new PipelineTopologyApp(streams, failures, wiped, deadLetters, config.visionModelId());
    }

    /**
     * Binds Kafka Streams' own metrics (meters named {@code kafka.stream.*}, Kafka's tags kept) and the topology's
     * dead letters by reason ({@code llava.dead.letters}, tagged {@code stage=topology} and {@code model_id}, the
     * vision model id it routes for, as a stage worker's are) to {@code registry}.
     */
    public void bindTo(MeterRegistry registry) {
        new KafkaStreamsMetrics(streams).bindTo(registry);
        deadLetters.bindTo(registry, Tags.of("stage", DeadLetters.STAGE, "model_id", visionModelId));
    }

    /** The dead letters this instance made, by error type. */
    public DeadLetterCounts deadLetters() {
        return deadLetters;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Waits until the instance is RUNNING; false when {@code timeout} passes or it stops or fails first. */
    public boolean awaitRunning(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            KafkaStreams.State s = streams.state();
            if (s == KafkaStreams.State.RUNNING) {
                return true;
            }
            if (!s.isRunningOrRebalancing() && s != KafkaStreams.State.CREATED) {
                return false;
            }
            Thread.sleep(50);
        }
        return false;
    }

    /** Stream threads replaced since start (each after a death and its backoff). */
    public int threadReplacements() {
        return failures.replacements();
    }

    /** Whether {@link #start} found local state from another cluster and wiped it. */
    public boolean wipedForeignState() {
        return wipedForeignState;
    }

    /** Stops the stream threads, committing their last transaction (waits up to 30 s). */
    @Override
    public void close() {
        failures.close();
        streams.close(CLOSE_TIMEOUT);
    }
}
