package io.llavastream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {
    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    final AvroSerde<Post> serde = new AvroSerde<>(Post.class, registry);

    static Post post() {
        return Post.newBuilder().setId("p1").setSource("forum").setCreatedAt(java.time.Instant.ofEpochMilli(1000))
                .setImages(List.of(PostImage.newBuilder().setContentType("image/png")
                        .setData(ByteBuffer.wrap(new byte[] {1, 2, 3})).build()))
                .setAttributes(Map.of("lang", "en")).build();
    }

    static Post postWithImageOf(int bytes) {
        return Post.newBuilder(post()).setImages(List.of(PostImage.newBuilder().setContentType("image/png")
                .setData(ByteBuffer.wrap(new byte[bytes])).build())).build();
    }

    @Test
    void recordsOfChangingSizesEachGetAnArrayOfExactlyTheirOwnBytesNeverAShared() {
        // the output buffer is sized from the previous record: smaller, larger and equal successors must all come
        // out exact, and two records of one size must not share the array handed out
        int[] sizes = {3, 100_000, 100_000, 10, 5_000_000, 5_000_000, 0, 7};
        byte[] previous = null;
        for (int size : sizes) {
            Post p = postWithImageOf(size);
            byte[] bytes = serde.serialize("llava.posts", p);
            assertThat(serde.deserialize("llava.posts", bytes)).isEqualTo(p);
            assertThat(bytes).isNotSameAs(previous);
            assertThat(bytes.length).isGreaterThan(size).isLessThan(size + 200);
            previous = bytes;
        }
        byte[] a = serde.serialize("llava.posts", post());
        byte[] b = serde.serialize("llava.posts", post());
        assertThat(a).isEqualTo(b).isNotSameAs(b);
    }

    @Test
    void writesConfluentWireFormatAndReadsItBack() {
        byte[] bytes = serde.serialize("llava.posts", post());
        assertThat(bytes[0]).isZero();
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(1);
        assertThat(serde.deserialize("llava.posts", bytes)).isEqualTo(post());
    }

    @Test
    void refusesBytesThatAreNotAvroWireFormat() {
        assertThatThrownBy(() -> serde.deserialize("llava.posts", "{\"json\":true}".getBytes()))
                .isInstanceOf(SerdeException.class).hasMessageContaining("expected magic byte 0")
                .extracting(e -> ((SerdeException) e).reason()).isEqualTo(SerdeException.Reason.NOT_AVRO);
    }

    @Test
    void refusesAnUnknownSchemaId() {
        byte[] bytes = serde.serialize("llava.posts", post());
        bytes[4] = 42;
        assertThatThrownBy(() -> serde.deserialize("llava.posts", bytes)).isInstanceOf(SerdeException.class)
                .hasMessageContaining("schema id 42 is not registered")
                .extracting(e -> ((SerdeException) e).reason()).isEqualTo(SerdeException.Reason.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void refusesTruncatedAvroBody() {
        byte[] bytes = serde.serialize("llava.posts", post());
        byte[] cut = java.util.Arrays.copyOf(bytes, 8);
        assertThatThrownBy(() -> serde.deserialize("llava.posts", cut)).isInstanceOf(SerdeException.class)
                .extracting(e -> ((SerdeException) e).reason()).isEqualTo(SerdeException.Reason.NOT_AVRO);
    }
}
