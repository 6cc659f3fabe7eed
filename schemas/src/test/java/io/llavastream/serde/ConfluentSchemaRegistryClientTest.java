package io.llavastream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.Post;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConfluentSchemaRegistryClientTest {
    final List<AutoCloseable> open = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    SchemaRegistryServer server() throws IOException {
        SchemaRegistryServer s = SchemaRegistryServer.start();
        open.add(s);
        return s;
    }

    @Test
    void registersAndFetchesThroughTheServer() throws IOException {
        SchemaRegistryServer server = server();
        ConfluentSchemaRegistryClient writer = new ConfluentSchemaRegistryClient(server.url());
        int id = writer.register("llava.posts-value", Post.getClassSchema());
        assertThat(writer.register("llava.posts-value", Post.getClassSchema())).isEqualTo(id);
        assertThat(writer.register("llava.answers-value", Answer.getClassSchema())).isNotEqualTo(id);
        assertThat(writer.register("other-value", Post.getClassSchema())).as("one id per schema").isEqualTo(id);

        ConfluentSchemaRegistryClient reader = new ConfluentSchemaRegistryClient(server.url());
        assertThat(reader.schemaById(id)).isEqualTo(Post.getClassSchema());
        assertThat(server.registry().subjects()).containsExactly("llava.answers-value", "llava.posts-value",
                "other-value");
    }

    @Test
    void avroSerdeRoundTripsAcrossTwoClients() throws IOException {
        SchemaRegistryServer server = server();
        AvroSerde<Post> out = new AvroSerde<>(Post.class, new ConfluentSchemaRegistryClient(server.url()));
        AvroSerde<Post> in = new AvroSerde<>(Post.class, new ConfluentSchemaRegistryClient(server.url()));
        byte[] bytes = out.serialize("llava.posts", AvroSerdeTest.post());
        assertThat(in.deserialize("llava.posts", bytes)).isEqualTo(AvroSerdeTest.post());
    }

    @Test
    void unknownIdIsUnknownSchemaId() throws IOException {
        SchemaRegistryServer server = server();
        ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient(server.url());
        assertThatThrownBy(() -> client.schemaById(42)).isInstanceOf(SerdeException.class)
                .hasMessageContaining("schema id 42").hasMessageContaining(server.url())
                .hasMessageContaining("40403")
                .extracting(e -> ((SerdeException) e).reason()).isEqualTo(SerdeException.Reason.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void serverDownIsRegistryUnavailable() throws IOException {
        SchemaRegistryServer server = SchemaRegistryServer.start();
        String url = server.url();
        server.close();
        ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient(url,
                ConfluentSchemaRegistryClient.Options.defaults().withTimeouts(Duration.ofSeconds(2),
                        Duration.ofSeconds(2)));
        assertThatThrownBy(() -> client.schemaById(1)).isInstanceOf(SerdeException.class)
                .hasMessageContaining(url)
                .extracting(e -> ((SerdeException) e).reason())
                .isEqualTo(SerdeException.Reason.REGISTRY_UNAVAILABLE);
        assertThatThrownBy(() -> client.register("s-value", Post.getClassSchema()))
                .extracting(e -> ((SerdeException) e).reason())
                .isEqualTo(SerdeException.Reason.REGISTRY_UNAVAILABLE);
    }

    @Test
    void aRegistryThatAcceptsButNeverAnswersIsUnavailableWithinTheRequestTimeout() throws IOException {
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient("http://127.0.0.1:"
                    + silent.getLocalPort(), ConfluentSchemaRegistryClient.Options.defaults()
                    .withTimeouts(Duration.ofSeconds(1), Duration.ofSeconds(1)));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> client.schemaById(1)).isInstanceOf(SerdeException.class)
                    .extracting(e -> ((SerdeException) e).reason())
                    .isEqualTo(SerdeException.Reason.REGISTRY_UNAVAILABLE);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void theDefaultTimeoutsAreShort() {
        ConfluentSchemaRegistryClient.Options d = ConfluentSchemaRegistryClient.Options.defaults();
        assertThat(d.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(d.requestTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(KafkaSchemaRegistry.DEFAULT_TIMEOUT).as("the store answers before the client gives up")
                .isEqualTo(Duration.ofSeconds(5)).isLessThan(d.requestTimeout());
    }

    @Test
    void serverErrorIsRegistryUnavailableWithTheStatus() throws IOException {
        Stub stub = stub(503, "{\"error_code\":50003,\"message\":\"Error while forwarding the request\"}");
        ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient(stub.url);
        assertThatThrownBy(() -> client.schemaById(7)).isInstanceOf(SerdeException.class)
                .hasMessageContaining(stub.url + "/schemas/ids/7").hasMessageContaining("HTTP 503")
                .hasMessageContaining("50003")
                .extracting(e -> ((SerdeException) e).reason())
                .isEqualTo(SerdeException.Reason.REGISTRY_UNAVAILABLE);
    }

    @Test
    void a404WithoutTheRegistryCodeIsNotAnUnknownId() throws IOException {
        Stub stub = stub(404, "<html>Not Found</html>");
        ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient(stub.url);
        assertThatThrownBy(() -> client.schemaById(7)).hasMessageContaining("HTTP 404 (<html>Not Found</html>)")
                .extracting(e -> ((SerdeException) e).reason())
                .isEqualTo(SerdeException.Reason.REGISTRY_UNAVAILABLE);
    }

    @Test
    void sendsBasicAuthAndTheRegistryContentType() throws IOException {
        Stub stub = stub(200, "{\"id\":5}");
        ConfluentSchemaRegistryClient client = ConfluentSchemaRegistryClient.fromConfig(Map.of(
                "schema.registry.url", stub.url, "basic.auth.credentials.source", "USER_INFO",
                "basic.auth.user.info", "alice:s3cret"));
        assertThat(client.register("llava.posts-value", Post.getClassSchema())).isEqualTo(5);
        assertThat(stub.requests).hasSize(1);
        String req = stub.requests.get(0);
        assertThat(req).startsWith("POST /subjects/llava.posts-value/versions\n")
                .contains("Authorization: Basic YWxpY2U6czNjcmV0")
                .contains("Content-type: application/vnd.schemaregistry.v1+json")
                .contains("{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Post\\\"");
        client.register("llava.posts-value", Post.getClassSchema());
        assertThat(stub.requests).as("cached").hasSize(1);
    }

    @Test
    void takesUserInfoFromTheUrlAndKeepsItOutOfMessages() throws IOException {
        Stub stub = stub(503, "");
        String withUser = stub.url.replace("http://", "http://bob:pw@");
        ConfluentSchemaRegistryClient client = new ConfluentSchemaRegistryClient(withUser);
        assertThat(client.url()).isEqualTo(stub.url);
        assertThatThrownBy(() -> client.schemaById(1)).hasMessageNotContaining("pw");
        assertThat(stub.requests.get(0)).contains("Authorization: Basic Ym9iOnB3");
    }

    @Test
    void rejectsABadUrlNamingIt() {
        assertThatThrownBy(() -> new ConfluentSchemaRegistryClient("localhost:8081"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'localhost:8081'");
        assertThatThrownBy(() -> ConfluentSchemaRegistryClient.fromConfig(Map.of()))
                .hasMessageContaining("schema.registry.url");
        assertThatThrownBy(() -> ConfluentSchemaRegistryClient.fromConfig(Map.of("schema.registry.url",
                "http://127.0.0.1:1", "basic.auth.credentials.source", "SASL_INHERIT")))
                .hasMessageContaining("SASL_INHERIT");
    }

    /** A stub HTTP server that records requests ("METHOD path\nheaders\n\nbody") and gives one fixed answer. */
    record Stub(String url, List<String> requests) {
    }

    Stub stub(int status, String body) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        List<String> requests = new CopyOnWriteArrayList<>();
        http.createContext("/", ex -> {
            StringBuilder sb = new StringBuilder(ex.getRequestMethod() + " " + ex.getRequestURI() + "\n");
            ex.getRequestHeaders().forEach((k, v) -> sb.append(k).append(": ").append(String.join(",", v))
                    .append('\n'));
            sb.append('\n').append(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(sb.toString());
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        http.start();
        open.add(() -> http.stop(0));
        return new Stub("http://127.0.0.1:" + http.getAddress().getPort(), requests);
    }
}
