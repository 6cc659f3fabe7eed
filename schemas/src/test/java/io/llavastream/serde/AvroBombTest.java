package io.llavastream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.Tensor;
import io.llavastream.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;

/**
 * Length, count, map and nesting bombs: each is refused with AVRO_LIMIT or NOT_AVRO, fast and without allocating
 * what the bytes declare. A bomb that got through would ask for gigabytes and fail this test with an
 * OutOfMemoryError, or run past its time limit.
 */
class AvroBombTest {
    static final String POSTS = Topics.POSTS.name();
    /** Far more than any check needs, far less than allocating or looping 2^31 times takes. */
    static final Duration FAST = Duration.ofSeconds(2);
    static final long NEAR_2_31 = (1L << 31) - 10;

    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final AvroSerde<Post> serde = new AvroSerde<>(Post.class, registry);
    final int postId = registry.register(POSTS + "-value", Post.getClassSchema());

    /** Writes Avro binary by hand, after Confluent's header with {@code schemaId}. */
    interface Body {
        void write(BinaryEncoder e) throws IOException;
    }

    static byte[] record(int schemaId, Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.writeBytes(ByteBuffer.allocate(4).putInt(schemaId).array());
        BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            body.write(e);
            e.flush();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    /** A Post up to its images array: id, source, three null unions, body, created_at. */
    static void postHead(BinaryEncoder e) throws IOException {
        e.writeString("p1");
        e.writeString("forum");
        e.writeIndex(0);
        e.writeIndex(0);
        e.writeIndex(0);
        e.writeString("");
        e.writeLong(1000);
    }

    AbstractThrowableAssert<?, ? extends Throwable> refused(byte[] bytes, SerdeException.Reason reason) {
        Throwable[] thrown = new Throwable[1];
        assertTimeoutPreemptively(FAST, () -> {
            try {
                serde.deserialize(POSTS, bytes);
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        return assertThat(thrown[0]).isInstanceOf(SerdeException.class)
                .satisfies(t -> assertThat(((SerdeException) t).reason()).as(t.getMessage()).isEqualTo(reason));
    }

    @Test
    void anArrayCountNear2To31OnPostsIsAnAvroLimitNotAnOutOfMemoryError() {
        byte[] bomb = record(postId, e -> {
            postHead(e);
            e.writeLong(NEAR_2_31);
        });
        assertThat(bomb.length).isLessThan(40);
        refused(bomb, SerdeException.Reason.AVRO_LIMIT).hasMessageContaining("Post.images")
                .hasMessageContaining("block count " + NEAR_2_31).hasMessageContaining("0 bytes left");
    }

    @Test
    void aStringLengthBombNamesTheFieldAndTheLimit() {
        byte[] bomb = record(postId, e -> e.writeLong(NEAR_2_31));
        refused(bomb, SerdeException.Reason.AVRO_LIMIT)
                .hasMessageContaining("Post.id: string length " + NEAR_2_31 + " is not within 0 bytes")
                .hasMessageContaining("cap: " + AvroLimits.MAX_LENGTH);
    }

    @Test
    void aBytesLengthBombInsideAnArrayItemNamesItsPath() {
        byte[] bomb = record(postId, e -> {
            postHead(e);
            e.writeLong(1);
            e.writeString("image/png");
            e.writeLong(NEAR_2_31);
            e.writeFixed(new byte[100]);
        });
        refused(bomb, SerdeException.Reason.AVRO_LIMIT).hasMessageContaining("Post.images[].data: bytes length "
                + NEAR_2_31 + " is not within 100 bytes");
    }

    @Test
    void aMapCountBombIsRefused() {
        byte[] bomb = record(postId, e -> {
            postHead(e);
            e.writeLong(0);      // no images
            e.writeIndex(0);     // no question
            e.writeLong(NEAR_2_31);
        });
        refused(bomb, SerdeException.Reason.AVRO_LIMIT).hasMessageContaining("Post.attributes")
                .hasMessageContaining("block count " + NEAR_2_31);
    }

    @Test
    void aMapKeyLengthBombIsRefused() {
        byte[] bomb = record(postId, e -> {
            postHead(e);
            e.writeLong(0);
            e.writeIndex(0);
            e.writeLong(1);
            e.writeLong(NEAR_2_31);
        });
        refused(bomb, SerdeException.Reason.AVRO_LIMIT).hasMessageContaining("Post.attributes{}: map key length");
    }

    @Test
    void aNegativeBlockCountWithAHugeByteSizeIsRefused() {
        byte[] bomb = record(postId, e -> {
            postHead(e);
            e.writeLong(-3);
            e.writeLong(Long.MAX_VALUE);
        });
        refused(bomb, SerdeException.Reason.AVRO_LIMIT).hasMessageContaining("block byte size " + Long.MAX_VALUE);
    }

    @Test
    void aNegativeBlockCountNear2To31IsBoundedLikeAPositiveOne() {
        byte[] bomb = record(postId, e -> {
            postHead(e);
            e.writeLong(-NEAR_2_31);
            e.writeLong(0);
        });
        refused(bomb, SerdeException.Reason.AVRO_LIMIT).hasMessageContaining("block count " + NEAR_2_31);
    }

    @Test
    void theSmallestLongAsABlockCountIsRefused() {
        byte[] bomb = record(postId, e -> {
            postHead(e);
            e.writeLong(Long.MIN_VALUE);
            e.writeLong(0);
        });
        refused(bomb, SerdeException.Reason.AVRO_LIMIT).hasMessageContaining("block count " + Long.MIN_VALUE);
    }

    @Test
    void aUnionIndexOutOfRangeIsNotAvro() {
        byte[] bad = record(postId, e -> {
            e.writeString("p1");
            e.writeString("forum");
            e.writeIndex(7);
        });
        refused(bad, SerdeException.Reason.NOT_AVRO).hasMessageContaining("Post.url: union branch index 7 is not "
                + "within 0..1");
    }

    @Test
    void everyTruncationOfAValidPostIsRefusedFast() {
        Post post = AvroSerdeTest.post();
        post.setAttributes(Map.of("lang", "en", "k", "v"));
        byte[] whole = serde.serialize(POSTS, post);
        for (int n = AvroSerde.HEADER; n < whole.length; n++) {
            byte[] cut = Arrays.copyOf(whole, n);
            Throwable[] thrown = new Throwable[1];
            assertTimeoutPreemptively(FAST, () -> {
                try {
                    serde.deserialize(POSTS, cut);
                } catch (Throwable t) {
                    thrown[0] = t;
                }
            });
            assertThat(thrown[0]).as("%d of %d bytes", n, whole.length).isInstanceOf(SerdeException.class);
            assertThat(((SerdeException) thrown[0]).reason()).isIn(SerdeException.Reason.NOT_AVRO,
                    SerdeException.Reason.AVRO_LIMIT);
        }
    }

    @Test
    void randomlyCorruptedPostsEitherDecodeOrAreRefusedWithAReason() {
        Post post = AvroSerdeTest.post();
        byte[] whole = serde.serialize(POSTS, post);
        Random random = new Random(8);
        Map<SerdeException.Reason, Integer> outcomes = new EnumMap<>(SerdeException.Reason.class);
        int decoded = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] bad = whole.clone();
            for (int k = 1 + random.nextInt(3); k > 0; k--) {
                bad[AvroSerde.HEADER + random.nextInt(whole.length - AvroSerde.HEADER)] = (byte) random.nextInt();
            }
            try {
                serde.deserialize(POSTS, bad);
                decoded++;
            } catch (SerdeException e) {
                outcomes.merge(e.reason(), 1, Integer::sum);
            }
        }
        assertThat(outcomes.keySet()).containsOnly(SerdeException.Reason.NOT_AVRO, SerdeException.Reason.AVRO_LIMIT);
        assertThat(decoded + outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(20_000);
    }

    @Test
    void aFifteenMebibyteImageAndManySmallBlocksStillDecode() {
        byte[] image = new byte[15 << 20];
        image[image.length - 1] = 42;
        Post big = AvroSerdeTest.post();
        big.setImages(List.of(PostImage.newBuilder().setContentType("image/png").setData(ByteBuffer.wrap(image))
                .build()));
        assertThat(serde.deserialize(POSTS, serde.serialize(POSTS, big))).isEqualTo(big);

        byte[] blocks = record(postId, e -> {
            postHead(e);
            for (int i = 0; i < 1000; i++) { // one image per block, each with a byte size: the limits allow it
                e.writeLong(-1);
                e.writeLong(3 + 1 + 1);
                e.writeString("a/b");
                e.writeBytes(new byte[] {(byte) i});
                e.writeIndex(0);
            }
            e.writeLong(0);
            e.writeIndex(0);
            e.writeLong(0);
            e.writeIndex(0);  // no adapter
        });
        assertThat(serde.deserialize(POSTS, blocks).getImages()).hasSize(1000);
    }

    // The writer schemas below are what a hostile producer could register and name in the header; the rules
    // hold whatever the writer schema is.

    static final Schema NESTED = new Schema.Parser().parse("""
            {"type": "record", "name": "Nested", "fields": [
              {"name": "rows", "type": {"type": "array", "items": {"type": "array", "items": "long"}}}]}""");
    static final Schema NULLS = new Schema.Parser().parse("""
            {"type": "record", "name": "Nulls", "fields": [
              {"name": "nothing", "type": {"type": "array", "items": "null"}}]}""");
    static final Schema LIST = new Schema.Parser().parse("""
            {"type": "record", "name": "Node", "fields": [
              {"name": "next", "type": ["null", "Node"]}]}""");
    static final Schema SELF = new Schema.Parser().parse("""
            {"type": "record", "name": "Self", "fields": [
              {"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "Loop", "fields": [
                {"name": "loop", "type": "Loop"}]}}}]}""");

    static SerdeException check(Schema writer, Body body) {
        byte[] bytes = record(0, body);
        Throwable[] thrown = new Throwable[1];
        assertTimeoutPreemptively(FAST, () -> {
            try {
                AvroLimits.check(writer, bytes, AvroSerde.HEADER, bytes.length - AvroSerde.HEADER);
            } catch (Throwable t) {
                thrown[0] = t;
            }
        });
        return (SerdeException) thrown[0];
    }

    @Test
    void aCountBombInANestedArrayIsRefusedWithItsPath() {
        SerdeException e = check(NESTED, enc -> {
            enc.writeLong(2);
            enc.writeLong(1);
            enc.writeLong(5);
            enc.writeLong(0);
            enc.writeLong(NEAR_2_31);
        });
        assertThat(e.reason()).isEqualTo(SerdeException.Reason.AVRO_LIMIT);
        assertThat(e).hasMessageContaining("Nested.rows[][]: block count " + NEAR_2_31);
    }

    @Test
    void zeroByteItemsInManyBlocksStopAtTheItemCap() {
        SerdeException e = check(NULLS, enc -> {
            for (int i = 0; i < 100; i++) {
                enc.writeLong(1L << 16);
            }
        });
        assertThat(e.reason()).isEqualTo(SerdeException.Reason.AVRO_LIMIT);
        assertThat(e).hasMessageContaining("Nulls.nothing[]: array of " + (AvroLimits.MAX_ITEMS + (1 << 16))
                + " items so far exceeds the cap of " + AvroLimits.MAX_ITEMS);
    }

    @Test
    void zeroByteItemsUnderTheCapPass() {
        assertThat(check(NULLS, enc -> {
            enc.writeLong(1000);
            enc.writeLong(0);
        })).isNull();
    }

    @Test
    void aRecursiveWriterSchemaStopsAtTheDepthCap() {
        SerdeException e = check(LIST, enc -> {
            for (int i = 0; i < 10_000; i++) {
                enc.writeIndex(1);
            }
            enc.writeIndex(0);
        });
        assertThat(e.reason()).isEqualTo(SerdeException.Reason.AVRO_LIMIT);
        assertThat(e).hasMessageContaining("nesting deeper than " + AvroLimits.MAX_DEPTH);
    }

    @Test
    void aRecordThatContainsItselfDoesNotOverflowTheStack() {
        SerdeException e = check(SELF, enc -> {
            enc.writeLong(1);
            enc.writeFixed(new byte[100]);
        });
        assertThat(e.reason()).isEqualTo(SerdeException.Reason.AVRO_LIMIT);
        assertThat(e).hasMessageContaining("nesting deeper than " + AvroLimits.MAX_DEPTH);
    }

    @Test
    void aTensorShapeBombIsRefused() {
        Schema tensor = Tensor.getClassSchema();
        SerdeException e = check(tensor, enc -> {
            enc.writeEnum(DType.FP32.ordinal());
            enc.writeLong(NEAR_2_31);
        });
        assertThat(e.reason()).isEqualTo(SerdeException.Reason.AVRO_LIMIT);
        assertThat(e).hasMessageContaining("Tensor.shape[]: block count " + NEAR_2_31);
    }

    @Test
    void theCapsAreTheDocumentedOnes() { // docs/registry.md quotes these
        assertThat(AvroLimits.MAX_LENGTH).isEqualTo(16 << 20);
        assertThat(AvroLimits.MAX_ITEMS).isEqualTo(1 << 20);
        assertThat(AvroLimits.MAX_DEPTH).isEqualTo(64);
    }

    @Test
    void everyPoisonReasonIsADeadLetterReason() {
        for (SerdeException.Reason r : SerdeException.Reason.values()) {
            if (r != SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                assertThat(DeadLetterReason.valueOf(r.name()).name()).isEqualTo(r.name());
            }
        }
    }

    @Test
    void aTombstoneIsNullForKafkaButNullValueWhereARecordIsRequired() {
        assertThat(serde.deserialize(POSTS, null)).isNull();
        assertThatThrownBy(() -> serde.deserializeRequired(POSTS, null)).isInstanceOf(SerdeException.class)
                .hasMessageContaining("null value").extracting(e -> ((SerdeException) e).reason())
                .isEqualTo(SerdeException.Reason.NULL_VALUE);
        assertThat(serde.deserializeRequired(POSTS, serde.serialize(POSTS, AvroSerdeTest.post())))
                .isEqualTo(AvroSerdeTest.post());
    }

    @Test
    void createdAtIsReadAsAnInstant() {
        // guards postHead: the hand-written head matches the generated schema's field order
        byte[] bytes = record(postId, e -> {
            postHead(e);
            e.writeLong(0);
            e.writeIndex(0);
            e.writeLong(0);
            e.writeIndex(0);  // no adapter
        });
        assertThat(serde.deserialize(POSTS, bytes).getCreatedAt()).isEqualTo(Instant.ofEpochMilli(1000));
    }
}
