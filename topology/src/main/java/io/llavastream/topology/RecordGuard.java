package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.ProcessorWrapper;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.processor.api.WrappedFixedKeyProcessorSupplier;
import org.apache.kafka.streams.processor.api.WrappedProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;

/**
 * Wraps every processor of the topology (Kafka Streams' {@code processor.wrapper.class}) so that
 * {@link RecordFailures} always knows which record each stream thread is processing, and so that a poisoned record
 * is refused at the head of its chain: the wrapper throws {@link InvalidRecordException} (REPEATED_FAILURE) instead
 * of calling the processor, and {@link DeadLetterExceptionHandler} writes the record's original bytes to
 * {@link io.llavastream.topics.Topics#DEAD_LETTERS}. Touches no topic itself.
 *
 * <p>Kafka Streams creates this class by name; the {@link RecordFailures} comes in as the object value of
 * {@value #FAILURES_CONFIG}. {@value #INNER_WRAPPER_CONFIG} may hold another {@link ProcessorWrapper} (an instance)
 * that wraps each processor inside this guard, e.g. for tracing; the tests inject faults with it.
 */
public final class RecordGuard implements ProcessorWrapper {
    /** Streams property holding this instance's {@link RecordFailures}. */
    static final String FAILURES_CONFIG = "llava.record.failures";
    /** Streams property holding an optional {@link ProcessorWrapper} applied inside the guard. */
    public static final String INNER_WRAPPER_CONFIG = "llava.processor.wrapper.inner";
    private RecordFailures failures;
    private ProcessorWrapper inner;

    @Override
    public void configure(Map<String, ?> configs) {
        Object f = configs.get(FAILURES_CONFIG);
        if (!(f instanceof RecordFailures rf)) {
            throw new ConfigException(FAILURES_CONFIG, f, "must be a " + RecordFailures.class.getName());
        }
        failures = rf;
        Object i = configs.get(INNER_WRAPPER_CONFIG);
        if (i != null && !(i instanceof ProcessorWrapper)) {
            throw new ConfigException(INNER_WRAPPER_CONFIG, i, "must be a " + ProcessorWrapper.class.getName());
        }
        inner = (ProcessorWrapper) i;
    }

    @Override
    public <KIn, VIn, KOut, VOut> WrappedProcessorSupplier<KIn, VIn, KOut, VOut> wrapProcessorSupplier(
            String name, ProcessorSupplier<KIn, VIn, KOut, VOut> supplier) {
        ProcessorSupplier<KIn, VIn, KOut, VOut> s = inner == null ? supplier : inner.wrapProcessorSupplier(name, supplier);
        return ProcessorWrapper.asWrapped(new ProcessorSupplier<>() {
            @Override
            public Processor<KIn, VIn, KOut, VOut> get() {
                return new Guarded<>(s.get(), failures);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return s.stores();
            }
        });
    }

    @Override
    public <KIn, VIn, VOut> WrappedFixedKeyProcessorSupplier<KIn, VIn, VOut> wrapFixedKeyProcessorSupplier(
            String name, FixedKeyProcessorSupplier<KIn, VIn, VOut> supplier) {
        FixedKeyProcessorSupplier<KIn, VIn, VOut> s = inner == null ? supplier
                : inner.wrapFixedKeyProcessorSupplier(name, supplier);
        return ProcessorWrapper.asWrappedFixedKey(new FixedKeyProcessorSupplier<>() {
            @Override
            public FixedKeyProcessor<KIn, VIn, VOut> get() {
                return new GuardedFixedKey<>(s.get(), failures);
            }

            @Override
            public Set<StoreBuilder<?>> stores() {
                return s.stores();
            }
        });
    }

    /** Runs {@code body} on the record {@code metadata} names, unless that record is poisoned. */
    static void guard(RecordFailures failures, Optional<RecordMetadata> metadata, Runnable body) {
        Optional<String> poisoned = failures.enter(metadata);
        if (poisoned.isPresent()) {
            failures.exit();
            throw new InvalidRecordException(DeadLetterReason.REPEATED_FAILURE.name(), poisoned.get());
        }
        try {
            body.run();
        } catch (RuntimeException e) {
            failures.exitAbruptly();
            throw e;
        }
        failures.exit();
    }

    private static final class Guarded<KIn, VIn, KOut, VOut> implements Processor<KIn, VIn, KOut, VOut> {
        private final Processor<KIn, VIn, KOut, VOut> delegate;
        private final RecordFailures failures;
        private ProcessorContext<KOut, VOut> context;

        Guarded(Processor<KIn, VIn, KOut, VOut> delegate, RecordFailures failures) {
            this.delegate = delegate;
            this.failures = failures;
        }

        @Override
        public void init(ProcessorContext<KOut, VOut> context) {
            this.context = context;
            delegate.init(context);
        }

        @Override
        public void process(Record<KIn, VIn> record) {
            guard(failures, context.recordMetadata(), () -> delegate.process(record));
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    private static final class GuardedFixedKey<KIn, VIn, VOut> implements FixedKeyProcessor<KIn, VIn, VOut> {
        private final FixedKeyProcessor<KIn, VIn, VOut> delegate;
        private final RecordFailures failures;
        private FixedKeyProcessorContext<KIn, VOut> context;

        GuardedFixedKey(FixedKeyProcessor<KIn, VIn, VOut> delegate, RecordFailures failures) {
            this.delegate = delegate;
            this.failures = failures;
        }

        @Override
        public void init(FixedKeyProcessorContext<KIn, VOut> context) {
            this.context = context;
            delegate.init(context);
        }

        @Override
        public void process(FixedKeyRecord<KIn, VIn> record) {
            guard(failures, context.recordMetadata(), () -> delegate.process(record));
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
