package io.llavastream.worker;

import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Clock;
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
 * Turns polled bytes into the bytes to produce, with no Kafka client in sight: decodes each record with the input
 * topic's serde, runs the stage in micro-batches of at most {@code maxBatch}, serializes the outputs, and turns
 * every failure into a dead letter carrying the original key and value bytes. One bad record never stops the
 * batch; only a registry outage (which would dead-letter good records) propagates, so the batch is retried.
 */
final class BatchProcessor<I extends SpecificRecord> {
    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessor.class);

    private final Stage<I> stage;
    private final SchemaRegistry registry;
    private final int maxBatch;
    private final DeadLetters deadLetters;
    private final AvroSerde<I> inputSerde;
    private final Map<Topic<?>, AvroSerde<?>> serdes = new HashMap<>();

    BatchProcessor(Stage<I> stage, SchemaRegistry registry, int maxBatch, Clock clock) {
        this.stage = stage;
        this.registry = registry;
        this.maxBatch = maxBatch;
        this.deadLetters = new DeadLetters(stage.name(), clock);
        this.inputSerde = stage.input().valueSerde(registry);
    }

    ProcessedBatch process(List<ConsumerRecord<byte[], byte[]>> records) {
        List<Input<I>> inputs = new ArrayList<>(records.size());
        StageResult[] results = new StageResult[records.size()];
        List<Integer> decoded = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            inputs.add(decode(records.get(i), i, results));
            if (results[i] == null) {
                decoded.add(i);
            }
        }
        for (List<Integer> chunk : BatchAssembler.chunks(decoded, maxBatch)) {
            List<StageResult> r = compute(chunk.stream().map(inputs::get).toList());
            for (int j = 0; j < chunk.size(); j++) {
                results[chunk.get(j)] = r.get(j);
            }
        }
        return emit(records, inputs, results);
    }

    /** The decoded input, or null with a failed result in {@code results[i]}. */
    private Input<I> decode(ConsumerRecord<byte[], byte[]> record, int i, StageResult[] results) {
        String key = record.key() == null ? null
                : stage.input().keySerde().deserializer().deserialize(record.topic(), record.key());
        if (record.value() == null) {
            results[i] = StageResult.failed("NULL_VALUE", "record has no value (a tombstone?)", List.of());
            return null;
        }
        try {
            return new Input<>(key, inputSerde.deserialize(record.topic(), record.value()));
        } catch (SerdeException e) {
            rethrowIfTransient(e);
            results[i] = StageResult.failed(e.reason().name(), e.getMessage(), List.of());
            return null;
        }
    }

    /** One result per input; when the stage throws, retries the inputs one at a time to isolate the culprit. */
    private List<StageResult> compute(List<Input<I>> inputs) {
        try {
            List<StageResult> r = stage.process(inputs);
            if (r.size() != inputs.size()) {
                throw new IllegalStateException(stage.name() + " returned " + r.size() + " results for "
                        + inputs.size() + " inputs");
            }
            return r;
        } catch (RuntimeException e) {
            if (inputs.size() == 1) {
                LOG.warn("{}: input {} failed", stage.name(), inputs.get(0).key(), e);
                return List.of(stage.failed(inputs.get(0), "STAGE_ERROR", e.toString()));
            }
            LOG.warn("{}: batch of {} failed ({}); retrying its inputs one by one", stage.name(), inputs.size(),
                    e.toString());
            return inputs.stream().flatMap(in -> compute(List.of(in)).stream()).toList();
        }
    }

    private ProcessedBatch emit(List<ConsumerRecord<byte[], byte[]>> records, List<Input<I>> inputs,
                                StageResult[] results) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>();
        int dead = 0;
        for (int i = 0; i < records.size(); i++) {
            dead += emitOne(records.get(i), inputs.get(i), results[i], out) ? 1 : 0;
        }
        return new ProcessedBatch(out, records.size(), dead);
    }

    /** Adds one input's outputs and, if it failed, its dead letter to {@code out}; true when dead-lettered. */
    private boolean emitOne(ConsumerRecord<byte[], byte[]> record, Input<I> input, StageResult result,
                            List<ProducerRecord<byte[], byte[]>> out) {
        StageResult r = result;
        List<ProducerRecord<byte[], byte[]>> produced;
        try {
            produced = serialize(r.outputs());
        } catch (RuntimeException e) {
            rethrowIfTransient(e);
            LOG.warn("{}: outputs of {} cannot be published", stage.name(), input == null ? null : input.key(), e);
            r = input == null ? StageResult.failed("OUTPUT_ERROR", e.toString(), List.of())
                    : stage.failed(input, "OUTPUT_ERROR", e.toString());
            produced = serializeOrNothing(r.outputs());
        }
        out.addAll(produced);
        if (r.failure().isEmpty()) {
            return false;
        }
        StageResult.Failure f = r.failure().get();
        // keyed by the original key bytes, unchanged
        out.add(serialize(new Output<>(Topics.DEAD_LETTERS, null, deadLetters.of(record, f.errorType(),
                f.message())), record.key()));
        return true;
    }

    private List<ProducerRecord<byte[], byte[]>> serializeOrNothing(List<Output<?>> outputs) {
        try {
            return serialize(outputs);
        } catch (RuntimeException e) {
            rethrowIfTransient(e);
            return List.of();
        }
    }

    private List<ProducerRecord<byte[], byte[]>> serialize(List<Output<?>> outputs) {
        List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(outputs.size());
        for (Output<?> o : outputs) {
            out.add(serialize(o, null));
        }
        return out;
    }

    /** Serializes {@code o}; a non-null {@code rawKey} is used as the key bytes as-is (dead letters). */
    private <V extends SpecificRecord> ProducerRecord<byte[], byte[]> serialize(Output<V> o, byte[] rawKey) {
        @SuppressWarnings("unchecked")
        AvroSerde<V> serde = (AvroSerde<V>) serdes.computeIfAbsent(o.topic(), t -> t.valueSerde(registry));
        String topic = o.topic().name();
        byte[] value = serde.serialize(topic, o.value());
        if (value.length > Topics.MAX_RECORD_BYTES) {
            throw new IllegalStateException(o.value().getSchema().getName() + " for " + topic + " is "
                    + value.length + " bytes, over the " + Topics.MAX_RECORD_BYTES + "-byte record limit");
        }
        byte[] key = rawKey != null || o.key() == null ? rawKey
                : o.topic().keySerde().serializer().serialize(topic, o.key());
        return new ProducerRecord<>(topic, key, value);
    }

    /** A registry that cannot be reached says nothing about the record: fail the batch so that it is retried. */
    private static void rethrowIfTransient(RuntimeException e) {
        if (e instanceof SerdeException s && s.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
            throw s;
        }
    }
}
