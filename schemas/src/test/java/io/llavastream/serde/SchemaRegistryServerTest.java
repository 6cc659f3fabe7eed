package io.llavastream.serde;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.Post;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SchemaRegistryServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    final HttpClient http = HttpClient.newHttpClient();
    SchemaRegistryServer server;

    @BeforeEach
    void start() throws Exception {
        server = SchemaRegistryServer.start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    record Reply(int status, JsonNode body) {
    }

    Reply call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/vnd.schemaregistry.v1+json");
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    static String schemaBody(org.apache.avro.Schema s) {
        return JSON.createObjectNode().put("schema", s.toString()).toString();
    }

    @Test
    void servesSubjectsVersionsAndLookups() throws Exception {
        assertThat(call("GET", "/subjects", null).body()).isEmpty();
        Reply reg = call("POST", "/subjects/llava.posts-value/versions?normalize=false",
                schemaBody(Post.getClassSchema()));
        assertThat(reg.status()).isEqualTo(200);
        assertThat(reg.body().get("id").intValue()).isEqualTo(1);
        assertThat(call("POST", "/subjects/llava.posts-value/versions", JSON.createObjectNode()
                .put("schemaType", "AVRO").put("schema", Answer.getClassSchema().toString()).toString())
                .body().get("id").intValue()).isEqualTo(2);

        assertThat(call("GET", "/subjects", null).body().toString()).isEqualTo("[\"llava.posts-value\"]");
        assertThat(call("GET", "/subjects/llava.posts-value/versions", null).body().toString()).isEqualTo("[1,2]");
        JsonNode latest = call("GET", "/subjects/llava.posts-value/versions/latest", null).body();
        assertThat(latest.get("version").intValue()).isEqualTo(2);
        assertThat(latest.get("id").intValue()).isEqualTo(2);
        assertThat(latest.get("subject").asText()).isEqualTo("llava.posts-value");
        assertThat(new org.apache.avro.Schema.Parser().parse(latest.get("schema").asText()))
                .isEqualTo(Answer.getClassSchema());
        JsonNode found = call("POST", "/subjects/llava.posts-value", schemaBody(Post.getClassSchema())).body();
        assertThat(found.get("version").intValue()).isEqualTo(1);
        assertThat(call("GET", "/schemas/ids/1?subject=llava.posts-value", null).body().get("schema").asText())
                .isEqualTo(Post.getClassSchema().toString());
    }

    @Test
    void answersErrorsWithTheRegistryCodes() throws Exception {
        Reply unknownId = call("GET", "/schemas/ids/9", null);
        assertThat(unknownId.status()).isEqualTo(404);
        assertThat(unknownId.body().get("error_code").intValue()).isEqualTo(40403);
        assertThat(unknownId.body().get("message").asText()).contains("9");
        Reply unknownSubject = call("GET", "/subjects/nope-value/versions/latest", null);
        assertThat(unknownSubject.body().get("error_code").intValue()).isEqualTo(40401);
        assertThat(unknownSubject.body().get("message").asText()).contains("nope-value");
        Reply bad = call("POST", "/subjects/x-value/versions", "{\"schema\":\"{\\\"type\\\":\\\"recordz\\\"}\"}");
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.body().get("error_code").intValue()).isEqualTo(42201);
        assertThat(bad.body().get("message").asText()).contains("recordz");
        Reply proto = call("POST", "/subjects/x-value/versions", "{\"schemaType\":\"PROTOBUF\",\"schema\":\"x\"}");
        assertThat(proto.body().get("message").asText()).contains("PROTOBUF");
        assertThat(call("DELETE", "/subjects/x-value", null).status()).isEqualTo(405);
        assertThat(call("GET", "/config", null).status()).isEqualTo(404);
    }

    @Test
    void decodesSubjectsInThePath() throws Exception {
        call("POST", "/subjects/a%20b%2Fc-value/versions", schemaBody(Post.getClassSchema()));
        assertThat(server.registry().subjects()).containsExactly("a b/c-value");
        ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient(server.url());
        assertThat(client.register("a b/c-value", Post.getClassSchema())).isEqualTo(1);
        assertThat(server.registry().versions("a b/c-value")).containsExactly(1);
    }
}
