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
