package io.llavastream.topology;

import static io.llavastream.topology.PipelineDriver.post;
import static io.llavastream.topology.PipelineTopologyTest.RED;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.ImageTask;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.ProcessorWrapper;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.WrappedFixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.WrappedProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A failure that kills the stream thread on one record, on a real broker (TopologyTestDriver has no threads to
 * replace): it is retried with backoff, then the record is dead-lettered and the rest flows; a failure that is not
 * the record's fault is never blamed on it, and stops the instance once it has happened too often in a row.
 */
@Timeout(300)
class RepeatedFailureTest {
    static final String POISON = "poison";

    /** The fault: thrown by the post validator whenever it is handed the record keyed {@value #POISON}. */
    static final class FaultOnPoison implements ProcessorWrapper {
        final Supplier<RuntimeException> unchecked;
        final boolean error;
        final AtomicInteger attempts = new AtomicInteger();

        /** An {@link Error}, as an allocation gone wild would throw. */
        static FaultOnPoison error() {
            return new FaultOnPoison(null, true);
        }

        /** {@code failure}, thrown as is. */
        static FaultOnPoison throwing(Supplier<RuntimeException> failure) {
            return new FaultOnPoison(failure, false);
        }

        private FaultOnPoison(Supplier<RuntimeException> unchecked, boolean error) {
            this.unchecked = unchecked;
            this.error = error;
        }

        @Override
        public <KIn, VIn, KOut, VOut> WrappedProcessorSupplier<KIn, VIn, KOut, VOut> wrapProcessorSupplier(
                String name, ProcessorSupplier<KIn, VIn, KOut, VOut> supplier) {
            if (!name.equals(TopologyNames.VALIDATE_POST)) {
                return ProcessorWrapper.asWrapped(supplier);
            }
            return ProcessorWrapper.asWrapped(new ProcessorSupplier<>() {
                @Override
                public Processor<KIn, VIn, KOut, VOut> get() {
                    Processor<KIn, VIn, KOut, VOut> p = supplier.get();
                    return new Processor<>() {
                        @Override
                        public void init(ProcessorContext<KOut, VOut> context) {
                            p.init(context);
                        }

                        @Override
                        public void process(Record<KIn, VIn> record) {
                            if (Arrays.equals((byte[]) record.key(), POISON.getBytes(StandardCharsets.UTF_8))) {
                                attempts.incrementAndGet();
                                if (error) {
                                    throw new InjectedFault();
                                }
                                throw unchecked.get();
                            }
                            p.process(record);
                        }
                    };
                }

                @Override
                public Set<StoreBuilder<?>> stores() {
                    return supplier.stores();
                }
            });
        }

        @Override
        public <KIn, VIn, VOut> WrappedFixedKeyProcessorSupplier<KIn, VIn, VOut> wrapFixedKeyProcessorSupplier(
                String name, FixedKeyProcessorSupplier<KIn, VIn, VOut> supplier) {
            return ProcessorWrapper.asWrappedFixedKey(supplier);
        }
    }

    static final class InjectedFault extends Error {
        InjectedFault() {
            super("injected fault on record " + POISON);
        }
    }

    @TempDir
    Path stateDir;
    BrokerFixture kafka;
    PipelineTopologyApp app;

    @AfterEach
    void close() {
        if (app != null) {
            app.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    PipelineTopologyApp start(FaultOnPoison fault, Map<String, Object> settings) throws InterruptedException {
        kafka = new BrokerFixture();
        // a replaced thread's consumer stays in the group until its session times out (45 s by default)
        Map<String, Object> client = Map.of(RecordGuard.INNER_WRAPPER_CONFIG, fault,
                StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000,
                StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        app = PipelineTopologyApp.start(kafka.bootstrapServers(), client, BrokerFixture.config(stateDir, settings),
                kafka.registry);
        assertThat(app.awaitRunning(Duration.ofSeconds(60))).isTrue();
        return app;
    }

    static String bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return new String(out, StandardCharsets.ISO_8859_1);
    }

    @Test
    void aRecordThatKeepsKillingTheStreamThreadIsDeadLetteredAfterMaxRecordAttemptsAndTheRestFlows() throws Exception {
        FaultOnPoison fault = FaultOnPoison.error();
        start(fault, Map.of(PipelineConfig.MAX_RECORD_ATTEMPTS_CONFIG, 3,
                PipelineConfig.THREAD_REPLACE_BACKOFF_MS_CONFIG, 100L, PipelineConfig.MAX_THREAD_FAILURES_CONFIG, 5));
        kafka.send(post("before", null, RED));
        byte[] poison = kafka.send(post(POISON, null, RED));
        kafka.send(post("after", null, RED));

        List<ConsumerRecord<String, ImageTask>> tasks = kafka.readUntil(Topics.VISION_REQUESTS, Duration.ofSeconds(180),
                out -> out.size() >= 2);
        assertThat(tasks).extracting(ConsumerRecord::key).containsExactlyInAnyOrder("before/0", "after/0");
        List<ConsumerRecord<String, DeadLetter>> letters = kafka.readUntil(Topics.DEAD_LETTERS, Duration.ofSeconds(30),
                out -> !out.isEmpty());
        assertThat(letters).singleElement().satisfies(r -> {
            DeadLetter d = r.value();
            assertThat(d.getErrorType()).isEqualTo("REPEATED_FAILURE");
            assertThat(d.getTopic()).isEqualTo(Topics.POSTS.name());
            assertThat(d.getOffset()).isEqualTo(1);
            assertThat(bytes(d.getValue())).isEqualTo(new String(poison, StandardCharsets.ISO_8859_1));
            assertThat(d.getErrorMessage()).contains("killed the stream thread 3 times", "InjectedFault");
        });
        assertThat(fault.attempts.get()).as("tried max.record.attempts times, then never again").isEqualTo(3);
        assertThat(app.threadReplacements()).isEqualTo(3);
        assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        assertThat(app.deadLetters().count("REPEATED_FAILURE")).as("the metrics' count").isEqualTo(1);
    }

    @Test
    void aTransientFailureIsNeverBlamedOnTheRecordAndStopsTheInstanceAfterMaxThreadFailuresInARow() throws Exception {
        FaultOnPoison fault = FaultOnPoison.throwing(() -> new SerdeException(
                SerdeException.Reason.REGISTRY_UNAVAILABLE, "injected: the registry is unreachable"));
        start(fault, Map.of(PipelineConfig.MAX_RECORD_ATTEMPTS_CONFIG, 1,
                PipelineConfig.THREAD_REPLACE_BACKOFF_MS_CONFIG, 100L, PipelineConfig.MAX_THREAD_FAILURES_CONFIG, 2));
        kafka.send(post(POISON, null, RED));

        long deadline = System.nanoTime() + Duration.ofSeconds(180).toNanos();
        while (app.state() != KafkaStreams.State.ERROR && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertThat(app.state()).isEqualTo(KafkaStreams.State.ERROR);
        assertThat(fault.attempts.get()).as("max.thread.failures replacements, then one death too many").isEqualTo(3);
        assertThat(app.threadReplacements()).isEqualTo(2);
        assertThat(kafka.readUntil(Topics.DEAD_LETTERS, Duration.ofSeconds(3), out -> false))
                .as("max.record.attempts = 1, yet not dead-lettered: the failure was not the record's").isEmpty();
        assertThat(app.deadLetters().count("REPEATED_FAILURE")).isZero();
    }
}
