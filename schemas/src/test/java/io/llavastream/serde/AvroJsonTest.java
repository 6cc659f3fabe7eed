package io.llavastream.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.schemas.Post;
import org.junit.jupiter.api.Test;

/** The cross-check's comparison must catch a wrong field and accept the other timestamp representation. */
class AvroJsonTest {
    final Post post = AvroSerdeTest.post();
    final JsonNode expected = AvroJson.toJson(Post.getClassSchema(), post);

    @Test
    void writesTheCrossCheckJson() throws Exception {
        assertThat(expected.toString()).isEqualTo(new ObjectMapper().readTree("{\"id\":\"p1\",\"source\":\"forum\","
                + "\"url\":null,\"author\":null,\"title\":null,\"body\":\"\",\"created_at\":1000,\"images\":[{"
                + "\"content_type\":\"image/png\",\"data\":\"AQID\",\"url\":null}],\"question\":null,"
                + "\"attributes\":{\"lang\":\"en\"},\"adapter\":null}").toString());
    }

    @Test
    void acceptsAnIsoTimestamp() {
        ObjectNode actual = expected.deepCopy();
        actual.put("created_at", "1970-01-01T00:00:01Z");
        assertThat(AvroJson.diff(Post.getClassSchema(), expected, actual)).isEmpty();
    }

    @Test
    void reportsEachWrongFieldWithItsPath() {
        ObjectNode actual = expected.deepCopy();
        actual.put("created_at", 1001);
        ((ObjectNode) actual.get("images").get(0)).put("data", "AQIE");
        actual.put("extra", 1);
        assertThat(AvroJson.diff(Post.getClassSchema(), expected, actual)).containsExactly(
                "Post.created_at: expected 1000, got 1001", "Post.images[0].data: expected \"AQID\", got \"AQIE\"",
                "Post.extra: unexpected field 1");
    }
}
