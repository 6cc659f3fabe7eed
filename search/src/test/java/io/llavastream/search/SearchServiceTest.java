package io.llavastream.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.text.ClipTextEncoder;
import io.llavastream.model.text.PromptTokenizer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The text tower against an index whose "images" are the text embeddings of known captions. */
class SearchServiceTest {
    static PromptTokenizer tokenizer;
    static ClipTextEncoder encoder;

    @BeforeAll
    static void load() {
        ModelDirectory dir = ModelDirectory.open(ModelDirectory.bundled());
        tokenizer = new PromptTokenizer(dir);
        encoder = new ClipTextEncoder(dir, tokenizer, EngineOptions.threads(1));
    }

    @AfterAll
    static void close() {
        encoder.close();
        tokenizer.close();
    }

    static ImageIndex indexOf(String... captions) {
        ImageIndex index = new ImageIndex();
        for (int i = 0; i < captions.length; i++) {
            String sha = String.format("%064x", i);
            index.putEmbedding(sha, "m", encoder.embed(captions[i]), "post-" + i, 0);
            index.putCaption(sha, captions[i]);
        }
        index.refresh();
        return index;
    }

    @Test
    void aCaptionFindsItsOwnImageFirst() {
        try (ImageIndex index = indexOf("a red circle", "a blue square and a green triangle", "a yellow star")) {
            SearchService service = new SearchService(encoder, index, "m");
            SearchService.Result r = service.search("a blue square and a green triangle", 2);
            assertThat(r.hits()).hasSize(2);
            assertThat(r.hits().get(0).postId()).isEqualTo("post-1");
            assertThat(r.hits().get(0).caption()).isEqualTo("a blue square and a green triangle");
            assertThat(r.hits().get(0).score()).isGreaterThan(r.hits().get(1).score());
            assertThat(r.encodeNanos()).isPositive();
        }
    }

    @Test
    void theHttpEndpointAnswersJsonAndNamesBadValues() throws Exception {
        try (ImageIndex index = indexOf("a red circle", "a yellow star");
             SearchHttpServer server = SearchHttpServer.start(new SearchService(encoder, index, "m"),
                     new InetSocketAddress("127.0.0.1", 0))) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + server.port() + "/search?q=";
            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base
                    + URLEncoder.encode("a yellow star", StandardCharsets.UTF_8) + "&k=1")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            JsonNode body = new ObjectMapper().readTree(ok.body());
            assertThat(body.get("query").asText()).isEqualTo("a yellow star");
            assertThat(body.get("hits")).hasSize(1);
            JsonNode hit = body.get("hits").get(0);
            assertThat(hit.get("post_id").asText()).isEqualTo("post-1");
            assertThat(hit.get("caption").asText()).isEqualTo("a yellow star");
            assertThat(hit.get("sha256").asText()).hasSize(64);
            assertThat(hit.get("image_index").asInt()).isZero();
            assertThat(hit.get("score").asDouble()).isGreaterThan(0.5);

            HttpResponse<String> badK = http.send(HttpRequest.newBuilder(URI.create(base + "star&k=many")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(badK.statusCode()).isEqualTo(400);
            assertThat(badK.body()).contains("many");
            HttpResponse<String> noQ = http.send(HttpRequest.newBuilder(URI.create(base.replace("?q=", ""))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(noQ.statusCode()).isEqualTo(400);
            assertThat(noQ.body()).contains("query is empty");
            // java.net.URI refuses a malformed %-escape, so this request goes over a plain socket
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.port())) {
                socket.getOutputStream().write(("GET /search?q=%zz HTTP/1.1\r\nHost: localhost\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                        StandardCharsets.US_ASCII)).readLine();
                assertThat(status).as("a malformed escape is a bad request, not a server error")
                        .startsWith("HTTP/1.1 400");
            }
        }
    }
}
