package io.llavastream.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The /metrics endpoint on a loopback ephemeral port, scraped with the JDK's HTTP client. */
class MetricsServerTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesTheRegistryInPrometheusTextFormatWithTheCommonTags() throws Exception {
        try (MetricsServer m = MetricsServer.start("127.0.0.1", 0, "process", "test")) {
            Counter c = Counter.builder("llava.things").tag("stage", "vision").register(m.registry());
            c.increment(3);
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(m.url())).GET().build());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v)
                    .startsWith("text/plain; version=0.0.4"));
            assertThat(r.body()).contains("# TYPE llava_things_total counter")
                    .contains("llava_things_total{process=\"test\",stage=\"vision\"} 3.0")
                    .contains("jvm_memory_used_bytes");
        }
    }

    @Test
    void anEphemeralPortIsReportedAndTheUrlIsLoopback() throws Exception {
        try (MetricsServer m = MetricsServer.start("127.0.0.1", 0)) {
            assertThat(m.port()).isPositive();
            assertThat(m.url()).isEqualTo("http://127.0.0.1:" + m.port() + "/metrics");
        }
    }

    @Test
    void otherMethodsThanGetAndHeadAreRefused() throws Exception {
        try (MetricsServer m = MetricsServer.start("127.0.0.1", 0)) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(m.url()))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build());
            assertThat(r.statusCode()).isEqualTo(405);
        }
    }

    @Test
    void aTakenPortIsRefusedNamingHostAndPort() throws Exception {
        try (MetricsServer first = MetricsServer.start("127.0.0.1", 0)) {
            assertThatThrownBy(() -> MetricsServer.start("127.0.0.1", first.port()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot serve metrics on 127.0.0.1:" + first.port());
        }
    }

    @Test
    void closingStopsServing() throws Exception {
        MetricsServer m = MetricsServer.start("127.0.0.1", 0);
        String url = m.url();
        m.close();
        assertThatThrownBy(() -> send(HttpRequest.newBuilder(URI.create(url)).GET().build()))
                .isInstanceOf(IOException.class);
    }
}
