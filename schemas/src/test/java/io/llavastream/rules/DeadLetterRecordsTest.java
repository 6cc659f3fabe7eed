package io.llavastream.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.DeadLetter;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

class DeadLetterRecordsTest {
    static final Instant NOW = Instant.ofEpochMilli(1_700_000_000_000L);
    final AvroSerde<DeadLetter> serde = Topics.DEAD_LETTERS.valueSerde(new InMemorySchemaRegistry());

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    byte[] encoded(DeadLetter d) {
        return serde.serialize(Topics.DEAD_LETTERS.name(), d);
    }

    @Test
    void aFifteenMebibyteValueIsCutToAPrefixAndTheDeadLetterFitsUnderTheCap() {
        byte[] value = random(15 << 20, 1);
        byte[] key = "post-1".getBytes();
        DeadLetter d = DeadLetterRecords.of("topology", Topics.POSTS.name(), 3, 12345L, key, value,
                DeadLetterReason.RECORD_TOO_LARGE, "too large", NOW);
        assertThat(encoded(d).length).isLessThan(DeadLetterRecords.MAX_DEAD_LETTER_BYTES);
        assertThat(d.getValueTruncated()).isTrue();
        assertThat(d.getValueSize()).isEqualTo(15L << 20);
        assertThat(bytes(d.getValue())).isEqualTo(Arrays.copyOf(value, DeadLetterRecords.PREFIX_BYTES))
                .hasSize(65536);
        assertThat(d.getKeyTruncated()).isFalse();
        assertThat(bytes(d.getKey())).isEqualTo(key);
        assertThat(d.getKeySize()).isEqualTo(key.length);
        assertThat(d.getTopic()).isEqualTo(Topics.POSTS.name());
        assertThat(d.getPartition()).isEqualTo(3);
        assertThat(d.getOffset()).isEqualTo(12345L);
        assertThat(d.getErrorType()).isEqualTo("RECORD_TOO_LARGE");
    }

    @Test
    void aHugeKeyAndAHugeValueAreBothCut() {
        byte[] key = random(15 << 20, 2);
        byte[] value = random(15 << 20, 3);
        DeadLetter d = DeadLetterRecords.of("vision", Topics.VISION_REQUESTS.name(), 0, 0L, key, value,
                "NOT_AVRO", "x".repeat(1 << 20), NOW);
        assertThat(encoded(d).length).isLessThan(DeadLetterRecords.MAX_DEAD_LETTER_BYTES);
        assertThat(d.getKeyTruncated()).isTrue();
        assertThat(d.getValueTruncated()).isTrue();
        assertThat(d.getKeySize()).isEqualTo(15L << 20);
        assertThat(bytes(d.getKey())).isEqualTo(Arrays.copyOf(key, DeadLetterRecords.PREFIX_BYTES));
        assertThat(d.getErrorMessage()).hasSize(4096).endsWith("... (1048576 characters)");
    }

    @Test
    void originalsUpToTheLimitAreKeptWholeAndStillFit() {
        byte[] value = random(DeadLetterRecords.MAX_ORIGINAL_BYTES - 10, 4);
        byte[] key = random(10, 5);
        String worstMessage = "\u20ac".repeat(100_000); // 3 UTF-8 bytes per character
        DeadLetter d = DeadLetterRecords.of("merge", Topics.MERGE_REQUESTS.name(), 5, 7L, key, value,
                DeadLetterReason.STAGE_ERROR, worstMessage, NOW);
        assertThat(d.getValueTruncated()).isFalse();
        assertThat(bytes(d.getValue())).isEqualTo(value);
        assertThat(encoded(d).length).isLessThan(DeadLetterRecords.MAX_DEAD_LETTER_BYTES);

        byte[] over = random(DeadLetterRecords.MAX_ORIGINAL_BYTES - 9, 4);
        assertThat(DeadLetterRecords.of("merge", "t", 0, 0L, key, over, "X", "m", NOW).getValueTruncated()).isTrue();
    }

    @Test
    void theCapsAreTheDocumentedOnes() { // docs/registry.md and DeadLetter.avsc quote these
        assertThat(DeadLetterRecords.MAX_DEAD_LETTER_BYTES).isEqualTo(1 << 20);
        assertThat(DeadLetterRecords.MAX_ORIGINAL_BYTES).isEqualTo(960 * 1024);
        assertThat(DeadLetterRecords.PREFIX_BYTES).isEqualTo(64 * 1024);
        assertThat(DeadLetterRecords.MAX_MESSAGE_CHARS).isEqualTo(4096);
    }

    @Test
    void aSmallRecordKeepsItsBytesExactlyAndACopyOfThem() {
        byte[] value = {0, 0, 0, 0, 1, 2, 3};
        byte[] key = {'k'};
        DeadLetter d = DeadLetterRecords.of("decode", Topics.DECODE_REQUESTS.name(), 1, 2L, key, value,
                DeadLetterReason.NOT_AVRO, "bad", NOW);
        value[6] = 99;
        assertThat(bytes(d.getValue())).containsExactly(0, 0, 0, 0, 1, 2, 3);
        assertThat(d.getValueSize()).isEqualTo(7);
        assertThat(d.getValueTruncated()).isFalse();
        assertThat(d.getKeySize()).isEqualTo(1);
        assertThat(serde.deserialize(Topics.DEAD_LETTERS.name(), encoded(d))).isEqualTo(d);
    }

    @Test
    void aTombstoneHasNoValueAndSizeMinusOne() {
        DeadLetter d = DeadLetterRecords.of("decode", Topics.DECODE_REQUESTS.name(), 1, 2L, null, null,
                DeadLetterReason.NULL_VALUE, null, NOW);
        assertThat(d.getValue()).isNull();
        assertThat(d.getKey()).isNull();
        assertThat(d.getValueSize()).isEqualTo(-1);
        assertThat(d.getKeySize()).isEqualTo(-1);
        assertThat(d.getErrorMessage()).isEqualTo("NULL_VALUE");
    }

    @Test
    void aMessageIsNotCutInsideASurrogatePair() {
        String emoji = "\uD83D\uDE00";
        String cut = DeadLetterRecords.shorten("a" + emoji.repeat(5000), DeadLetterRecords.MAX_MESSAGE_CHARS);
        assertThat(cut.length()).isLessThanOrEqualTo(DeadLetterRecords.MAX_MESSAGE_CHARS);
        assertThat(Character.isHighSurrogate(cut.charAt(cut.indexOf("...") - 1))).isFalse();
    }

    /** The schema before value_size and friends: dead letters written by it still read, with the defaults. */
    static final Schema OLD = new Schema.Parser().parse("""
            {"type": "record", "name": "DeadLetter", "namespace": "io.llavastream.schemas", "fields": [
              {"name": "topic", "type": "string"}, {"name": "partition", "type": "int"},
              {"name": "offset", "type": "long"}, {"name": "key", "type": ["null", "bytes"], "default": null},
              {"name": "value", "type": ["null", "bytes"], "default": null},
              {"name": "error_type", "type": "string"}, {"name": "error_message", "type": "string"},
              {"name": "stage", "type": "string"},
              {"name": "failed_at", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}""");

    @Test
    void theNewFieldsAreBackwardCompatible() throws Exception {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(DeadLetter.getClassSchema(), OLD).getType())
                .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        int oldId = registry.register("old", OLD);
        GenericRecord old = new GenericData.Record(OLD);
        old.put("topic", "llava.posts");
        old.put("partition", 0);
        old.put("offset", 9L);
        old.put("value", ByteBuffer.wrap(new byte[] {1}));
        old.put("error_type", "NOT_AVRO");
        old.put("error_message", "m");
        old.put("stage", "topology");
        old.put("failed_at", 5L);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(oldId).array());
        BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(OLD).write(old, e);
        e.flush();
        DeadLetter read = Topics.DEAD_LETTERS.valueSerde(registry).deserialize("t", out.toByteArray());
        assertThat(read.getValueSize()).isEqualTo(-1);
        assertThat(read.getValueTruncated()).isFalse();
        assertThat(read.getKeySize()).isEqualTo(-1);
    }
}
