package io.llavastream.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The HTTP half of {@link ConfluentSchemaRegistryClient}: sends one JSON request to the first base URL that answers
 * (the others are tried in order when a connection fails) and returns the status and the parsed body. Connection
 * failures, timeouts and interrupts become {@link SerdeException.Reason#REGISTRY_UNAVAILABLE}; HTTP statuses are the
 * caller's to interpret.
 */
final class RegistryRest {
    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    static final String ACCEPT = CONTENT_TYPE
            + ", application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One answer: the URL that gave it, the HTTP status and the body (MissingNode when it is not JSON). */
    record Reply(String url, int status, JsonNode body, String raw) {
        boolean ok() {
            return status / 100 == 2;
        }

        int errorCode() {
            return body.path("error_code").asInt(-1);
        }

        /** "HTTP 404 (error_code 40403: Schema 7 not found)", for error messages. */
        String describe() {
            String msg = body.path("message").asText(raw.length() > 200 ? raw.substring(0, 200) + "..." : raw);
            return "HTTP " + status + (errorCode() >= 0 ? " (error_code " + errorCode() + ": " + msg + ")"
                    : msg.isBlank() ? "" : " (" + msg + ")");
        }
    }

    private final List<URI> bases;
    private final ConfluentSchemaRegistryClient.Options options;
    private final HttpClient http;
    private final String authorization;

    RegistryRest(List<URI> bases, String userInfo, ConfluentSchemaRegistryClient.Options options) {
        this.bases = List.copyOf(bases);
        this.options = options;
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(options.connectTimeout());
        if (options.sslContext() != null) {
            b.sslContext(options.sslContext());
        }
        this.http = b.build();
        this.authorization = userInfo == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }

    /** The base URLs, without user info: safe to print. */
    String urls() {
        return bases.size() == 1 ? bases.get(0).toString() : bases.toString();
    }

    /** Sends {@code method path} with {@code body} (null: none) to the first base URL that answers. */
    Reply send(String method, String path, JsonNode body) {
        List<String> failures = new ArrayList<>();
        for (URI base : bases) {
            String url = base.toString().replaceAll("/+$", "") + path;
            HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).timeout(options.requestTimeout())
                    .header("Accept", ACCEPT);
            if (authorization != null) {
                req.header("Authorization", authorization);
            }
            if (body == null) {
                req.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                req.header("Content-Type", CONTENT_TYPE).method(method,
                        HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
            }
            try {
                HttpResponse<String> resp = http.send(req.build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                return new Reply(url, resp.statusCode(), parse(resp.body()), resp.body());
            } catch (IOException e) {
                failures.add(url + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE,
                        "interrupted while calling the schema registry at " + url, e);
            }
        }
        throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "schema registry unavailable: "
                + method + " " + path + " failed at " + String.join("; ", failures));
    }

    private static JsonNode parse(String text) {
        try {
            JsonNode n = JSON.readTree(text);
            return n == null ? MissingNode.getInstance() : n;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }
}
