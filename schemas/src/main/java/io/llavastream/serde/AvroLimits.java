package io.llavastream.serde;

import io.llavastream.topics.Topics;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.avro.Schema;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;

/**
 * Walks one record's Avro binary along its writer schema, without allocating, and refuses it before Avro
 * materialises it if decoding could allocate more than the record holds.
 *
 * <p>Why: Avro's reader allocates what the bytes declare before it reads the items. A string or bytes field
 * allocates its declared length, and an array or map allocates its first block's count. A 10-byte record that
 * declares an array of 2^31 - 1 items therefore asks for an ArrayList of 2^31 - 1 slots. Avro 1.12's own caps
 * ({@code SystemLimitException} and the {@code org.apache.avro.limits.*} system properties) default to the VM's
 * array limit. They are global, read once per JVM, and depend on every process setting them. This check needs no
 * setting.
 *
 * <p>The rules, with N the bytes left in the record after the length or count:
 * <ul>
 *   <li>a string or bytes length is at least 0, at most N, and at most {@link #MAX_LENGTH};</li>
 *   <li>an array or map block count is at most N when each item takes at least one byte (every item type of the
 *       pipeline's schemas does; a map entry always does). The items over all of a collection's blocks number at
 *       most {@link #MAX_ITEMS}. A negative count (a block with a byte size) has a byte size from 0 to N;</li>
 *   <li>records, unions, arrays and maps nest at most {@link #MAX_DEPTH} deep (a recursive writer schema);</li>
 *   <li>union and enum indexes name a branch or symbol of the writer schema.</li>
 * </ul>
 * A broken rule is {@link SerdeException.Reason#AVRO_LIMIT}. Bytes that end early or hold a malformed varint are
 * {@link SerdeException.Reason#NOT_AVRO}. Messages name the field path, the value, and the limit. A record that
 * passes decodes with each allocation bounded by its own size (arrays: by {@link #MAX_ITEMS} slots). The walk reads
 * lengths and counts with Avro's own varint decoder and skips the contents, so it costs O(fields), not O(bytes).
 */
final class AvroLimits {
    /** Longest string or bytes value, in bytes: the largest record a topic may hold. */
    static final int MAX_LENGTH = Topics.MAX_RECORD_BYTES;
    /**
     * Most items in one array or map, over all of its blocks. That is 8 MiB of references, and 2^20 is far above
     * any collection of the schemas: shapes have 2 dims, a post has at most a few dozen images, and a decode
     * request has a few thousand token ids.
     */
    static final int MAX_ITEMS = 1 << 20;
    /** Deepest nesting of records, unions, arrays and maps; the pipeline's own schemas nest a few levels deep. */
    static final int MAX_DEPTH = 64;

    private final ByteArrayInputStream bytes;
    private final Decoder in;
    private final int length;
    private final String top;
    /** Field names and "[]" or "{}" from the top record down to the datum being read. */
    private final Deque<String> path = new ArrayDeque<>();
    private int depth;

    private AvroLimits(Schema writer, byte[] data, int offset, int length) {
        this.top = writer.getName() == null ? writer.getType().getName() : writer.getName();
        this.bytes = new ByteArrayInputStream(data, offset, length);
        this.in = DecoderFactory.get().directBinaryDecoder(bytes, null);
        this.length = length;
    }

    /**
     * Checks {@code length} bytes of {@code data} from {@code offset} as one datum of {@code writer}.
     *
     * @throws SerdeException AVRO_LIMIT when decoding could allocate beyond the rules above, NOT_AVRO when the bytes
     *                        end early or are malformed
     */
    static void check(Schema writer, byte[] data, int offset, int length) {
        AvroLimits walk = new AvroLimits(writer, data, offset, length);
        try {
            walk.datum(writer);
        } catch (EOFException e) {
            throw new SerdeException(SerdeException.Reason.NOT_AVRO, walk.where() + ": the record ends early ("
                    + length + " bytes of Avro binary) for a " + writer.getFullName());
        } catch (IOException e) { // DirectBinaryDecoder's "Invalid int/long encoding"
            throw new SerdeException(SerdeException.Reason.NOT_AVRO, walk.where() + ": malformed Avro binary at byte "
                    + walk.position() + " of " + length + ": " + e.getMessage(), e);
        }
    }

    private void datum(Schema s) throws IOException {
        switch (s.getType()) {
            case NULL -> { }
            case BOOLEAN -> skip(1, "boolean");
            case INT -> in.readInt();
            case LONG -> in.readLong();
            case FLOAT -> skip(4, "float");
            case DOUBLE -> skip(8, "double");
            case FIXED -> skip(s.getFixedSize(), "fixed");
            case STRING, BYTES -> skip(length(s.getType().getName()), s.getType().getName());
            case ENUM -> index(s.getEnumSymbols().size(), "enum symbol");
            case RECORD -> nested(s);
            case UNION -> {
                int branch = index(s.getTypes().size(), "union branch");
                nested(s.getTypes().get(branch));
            }
            case ARRAY, MAP -> collection(s);
            default -> throw new IllegalStateException("Avro type " + s.getType() + " is not handled");
        }
    }

    /** A record's fields, or a union's chosen branch, one level deeper. */
    private void nested(Schema s) throws IOException {
        enter();
        if (s.getType() == Schema.Type.RECORD) {
            for (Schema.Field f : s.getFields()) {
                path.push(f.name());
                datum(f.schema());
                path.pop();
            }
        } else {
            datum(s);
        }
        depth--;
    }

    private void collection(Schema s) throws IOException {
        boolean map = s.getType() == Schema.Type.MAP;
        Schema items = map ? s.getValueType() : s.getElementType();
        boolean itemsTakeBytes = map || minBytes(items, 0) > 0;
        enter();
        path.push(map ? "{}" : "[]");
        long total = 0;
        for (long n = blockCount(itemsTakeBytes); n > 0; n = blockCount(itemsTakeBytes)) {
            total += n;
            if (total > MAX_ITEMS) {
                throw limit((map ? "map" : "array") + " of " + total + " items so far exceeds the cap of "
                        + MAX_ITEMS + " items");
            }
            for (long i = 0; i < n; i++) {
                if (map) {
                    skip(length("map key"), "map key");
                }
                datum(items);
            }
        }
        path.pop();
        depth--;
    }

    /** The next block's item count (0 at the end), after its byte size when the count is negative. */
    private long blockCount(boolean itemsTakeBytes) throws IOException {
        long n = in.readLong();
        if (n < 0) {
            if (n == Long.MIN_VALUE) {
                throw limit("block count " + n + " has no positive counterpart");
            }
            n = -n;
            long size = in.readLong();
            if (size < 0 || size > remaining()) {
                throw limit("block byte size " + size + " is not within the " + remaining()
                        + " bytes left in the record");
            }
        }
        if (itemsTakeBytes && n > remaining()) {
            throw limit("block count " + n + " exceeds the " + remaining() + " bytes left in the record (each item "
                    + "takes at least one byte)");
        }
        return n;
    }

    private long length(String what) throws IOException {
        long n = in.readLong();
        if (n < 0 || n > remaining() || n > MAX_LENGTH) {
            throw limit(what + " length " + n + " is not within " + Math.min(remaining(), MAX_LENGTH)
                    + " bytes (the bytes left in the record: " + remaining() + "; cap: " + MAX_LENGTH + ")");
        }
        return n;
    }

    private int index(int size, String what) throws IOException {
        int i = in.readInt();
        if (i < 0 || i >= size) {
            throw new SerdeException(SerdeException.Reason.NOT_AVRO, where() + ": " + what + " index " + i
                    + " is not within 0.." + (size - 1));
        }
        return i;
    }

    private void skip(long n, String what) throws IOException {
        if (n > remaining()) {
            throw new EOFException(what + " of " + n + " bytes");
        }
        in.skipFixed((int) n);
    }

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw limit("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private SerdeException limit(String what) {
        return new SerdeException(SerdeException.Reason.AVRO_LIMIT, where() + ": " + what + " (at byte "
                + position() + " of " + length + ")");
    }

    private int remaining() {
        return bytes.available();
    }

    private int position() {
        return length - remaining();
    }

    /** The field path, e.g. "Post.images[].data". */
    private String where() {
        StringBuilder b = new StringBuilder(top);
        path.descendingIterator().forEachRemaining(seg -> b.append(seg.startsWith("[") || seg.startsWith("{")
                ? "" : ".").append(seg));
        return b.toString();
    }

    /**
     * The fewest bytes a datum of {@code s} takes: 0 only for null, zero-size fixed and records of such fields. A
     * record that contains itself without a union or collection in between cannot be written, so the walk down
     * records stops at {@link #MAX_DEPTH} and calls it at least one byte.
     */
    private static long minBytes(Schema s, int depth) {
        return switch (s.getType()) {
            case NULL -> 0;
            case FIXED -> s.getFixedSize();
            case FLOAT -> 4;
            case DOUBLE -> 8;
            case RECORD -> depth > MAX_DEPTH ? 1
                    : s.getFields().stream().mapToLong(f -> minBytes(f.schema(), depth + 1)).sum();
            default -> 1; // a varint, a length, a count or a union index
        };
    }
}
