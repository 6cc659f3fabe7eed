package io.llavastream.chaos;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Writes the start of a record in Confluent's Avro wire format field by field (magic byte 0, the 4-byte schema id,
 * then Avro's binary encoding), so that a hostile record can be exactly right up to the one field that is wrong: a
 * string or bytes length, or an array or map count, far beyond the bytes that follow.
 */
final class AvroPrefix {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);

    private AvroPrefix() {
    }

    /** The wire header: magic byte 0 and {@code schemaId}, big-endian. */
    static AvroPrefix header(int schemaId) {
        AvroPrefix p = new AvroPrefix();
        p.out.write(0);
        p.out.write(schemaId >>> 24);
        p.out.write(schemaId >>> 16);
        p.out.write(schemaId >>> 8);
        p.out.write(schemaId);
        return p;
    }

    AvroPrefix string(String s) {
        return io(() -> encoder.writeString(s));
    }

    /** Branch {@code index} of a union ({@code 0} is null in every {@code ["null", ...]} field). */
    AvroPrefix union(int index) {
        return io(() -> encoder.writeIndex(index));
    }

    AvroPrefix longValue(long v) {
        return io(() -> encoder.writeLong(v));
    }

    AvroPrefix intValue(int v) {
        return io(() -> encoder.writeInt(v));
    }

    /**
     * A bare zig-zag varint: how Avro writes a string or bytes length and an array or map block count. A huge one
     * is the bomb.
     */
    AvroPrefix length(long n) {
        return longValue(n);
    }

    /** Raw bytes, with no length in front (the start of a string's or bytes' contents, or anything). */
    AvroPrefix raw(byte[] bytes) {
        return io(() -> encoder.writeFixed(bytes));
    }

    /** A whole record, as its own schema encodes it (e.g. a nested TaskRef before the bad field). */
    <T extends SpecificRecord> AvroPrefix record(T value) {
        @SuppressWarnings("unchecked")
        SpecificDatumWriter<T> writer = new SpecificDatumWriter<>((Class<T>) value.getClass());
        return io(() -> writer.write(value, encoder));
    }

    byte[] bytes() {
        io(encoder::flush);
        return out.toByteArray();
    }

    private interface IoAction {
        void run() throws IOException;
    }

    private AvroPrefix io(IoAction a) {
        try {
            a.run();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to memory", e);
        }
        return this;
    }
}
