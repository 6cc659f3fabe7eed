package io.llavastream.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka serde for a generated Avro class, in Confluent's wire format: byte 0 = magic 0, bytes 1-4 = schema id
 * (big-endian), then the Avro binary encoding. The subject is {@code <topic>-value}; the reader resolves the
 * writer's schema (from the registry, by id) against its own, so compatible schema evolution works. Before Avro
 * decodes a record, {@link AvroLimits} checks its binary against the writer schema, so that no length or count in
 * the bytes can make decoding allocate more than the record holds.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {
    static final byte MAGIC = 0;
    static final int HEADER = 5;

    private final Class<T> type;
    private final Schema schema;
    private final SchemaRegistry registry;
    private final Map<String, Integer> idBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Reader<T>> readers = new ConcurrentHashMap<>();
    private final SpecificDatumWriter<T> writer;
    /** The last record's size in bytes, the next one's buffer size (see {@link SizedOutput}). */
    private final AtomicInteger lastSize = new AtomicInteger(SizedOutput.MIN_HINT);

    public AvroSerde(Class<T> type, SchemaRegistry registry) {
        this.type = type;
        this.schema = SpecificData.get().getSchema(type);
        this.registry = registry;
        this.writer = new SpecificDatumWriter<>(schema);
    }

    public byte[] serialize(String topic, T value) {
        if (value == null) {
            return null;
        }
        int id = idBySubject.computeIfAbsent(topic + "-value", s -> registry.register(s, schema));
        SizedOutput out = new SizedOutput(lastSize.get());
        out.write(MAGIC);
        out.write(id >>> 24);
        out.write(id >>> 16);
        out.write(id >>> 8);
        out.write(id);
        try {
            BinaryEncoder enc = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(value, enc);
            enc.flush();
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + type.getSimpleName(), e);
        }
        byte[] bytes = out.bytes();
        lastSize.set(bytes.length);
        return bytes;
    }

    /**
     * The record in {@code data}, or null when {@code data} is null. Null is a tombstone, and Kafka's
     * {@link Deserializer} contract passes it through: compacted topics and Kafka Streams tables need it. On a
     * topic that carries no deletes, use {@link #deserializeRequired}, or turn null into
     * {@code DeadLetterReason.NULL_VALUE} yourself.
     *
     * @throws SerdeException NOT_AVRO (not the wire format, truncated, or not decodable as this type),
     *                        AVRO_LIMIT (a length or count bomb, see {@link AvroLimits}), UNKNOWN_SCHEMA_ID, or
     *                        REGISTRY_UNAVAILABLE (transient: retry, never dead-letter)
     */
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < HEADER || data[0] != MAGIC) {
            throw new SerdeException(SerdeException.Reason.NOT_AVRO, "record on " + topic + " is not in Confluent's "
                    + "Avro wire format: " + (data.length < HEADER ? data.length + " bytes, expected at least 5"
                    : "first byte is " + data[0] + ", expected magic byte 0"));
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        Reader<T> reader = readers.computeIfAbsent(id, i -> {
            Schema writer = registry.schemaById(i);
            return new Reader<>(writer, new SpecificDatumReader<>(writer, schema));
        });
        try {
            AvroLimits.check(reader.writer(), data, HEADER, data.length - HEADER);
        } catch (SerdeException e) {
            throw new SerdeException(e.reason(), "record on " + topic + " with schema id " + id + " refused before "
                    + "decoding as " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        try {
            BinaryDecoder dec = DecoderFactory.get().binaryDecoder(data, HEADER, data.length - HEADER, null);
            return reader.datum().read(null, dec);
        } catch (IOException | RuntimeException e) {
            throw new SerdeException(SerdeException.Reason.NOT_AVRO, "record on " + topic + " with schema id " + id
                    + " does not decode as " + type.getSimpleName() + ": " + e, e);
        }
    }

    /**
     * As {@link #deserialize}, for topics that carry no deletes: a null value (a tombstone) is
     * {@link SerdeException.Reason#NULL_VALUE}.
     */
    public T deserializeRequired(String topic, byte[] data) {
        if (data == null) {
            throw new SerdeException(SerdeException.Reason.NULL_VALUE, "record on " + topic + " has a null value "
                    + "(a tombstone); expected a " + type.getSimpleName());
        }
        return deserialize(topic, data);
    }

    /** The writer schema of one id and the datum reader that resolves it against {@code T}'s schema. */
    private record Reader<T>(Schema writer, SpecificDatumReader<T> datum) {
    }

    public Class<T> type() {
        return type;
    }

    @Override
    public Serializer<T> serializer() {
        return this::serialize;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this::deserialize;
    }
}
