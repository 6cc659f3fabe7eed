package io.llavastream.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.avro.Schema;

/**
 * A minimal Confluent-compatible schema registry over HTTP on 127.0.0.1, backed by a {@link SchemaStore}: one
 * registry that the separate worker processes of the embedded mode (and the tests) share. {@code ./llava-stream
 * broker} and the embedded pipeline back it with a {@link KafkaSchemaRegistry}, so ids survive restarts; the tests
 * may use an {@link InMemorySchemaRegistry}. It serves
 * the subset that {@link ConfluentSchemaRegistryClient} and Confluent's serializers use:
 * <ul>
 *   <li>{@code POST /subjects/{s}/versions} {"schema": ..., "schemaType"?: "AVRO"} &rarr; {"id": N};</li>
 *   <li>{@code POST /subjects/{s}} (look a schema up) &rarr; {"subject", "version", "id", "schema"};</li>
 *   <li>{@code GET /schemas/ids/{id}} &rarr; {"schema": ...}, or 404 with error_code 40403;</li>
 *   <li>{@code GET /subjects} &rarr; [names]; {@code GET /subjects/{s}/versions} &rarr; [1, 2, ...];</li>
 *   <li>{@code GET /subjects/{s}/versions/{n|latest}} &rarr; {"subject", "version", "id", "schema"}.</li>
 * </ul>
 * Errors use the registry's body, {"error_code": N, "message": ...}; a store that cannot answer (its topic
 * unreachable) is HTTP 500 with error_code 50002, never a 404, so that clients retry rather than dead-letter. Only
 * AVRO schemas without references are accepted; there are no compatibility checks, deletes, modes or contexts.
 */
public final class SchemaRegistryServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SchemaStore registry;
    private final HttpServer server;
    private final ExecutorService executor;

    private SchemaRegistryServer(SchemaStore registry, int port) throws IOException {
        this.registry = registry;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "schema-registry-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts a server with an empty registry on an ephemeral port of 127.0.0.1. */
    public static SchemaRegistryServer start() throws IOException {
        return start(new InMemorySchemaRegistry(), 0);
    }

    /**
     * Starts a server for {@code registry} on {@code port} of 127.0.0.1 (0: an ephemeral port). The server owns the
     * store: {@link #close} closes it.
     */
    public static SchemaRegistryServer start(SchemaStore registry, int port) throws IOException {
        return new SchemaRegistryServer(registry, port);
    }

    /** The base URL, e.g. {@code http://127.0.0.1:40123}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public SchemaStore registry() {
        return registry;
    }

    /** Stops serving at once, frees the port, and closes the store. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        registry.close();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String[] p = ex.getRequestURI().getRawPath().replaceAll("^/+|/+$", "").split("/");
            String method = ex.getRequestMethod();
            try {
                Object reply = route(method, p, ex.getRequestBody());
                send(ex, 200, JSON.valueToTree(reply));
            } catch (RegistryError e) {
                send(ex, e.status, JSON.createObjectNode().put("error_code", e.code).put("message", e.getMessage()));
            } catch (SerdeException e) { // the store's REGISTRY_UNAVAILABLE: retry later
                send(ex, 500, JSON.createObjectNode().put("error_code", 50002).put("message", e.getMessage()));
            } catch (RuntimeException e) {
                send(ex, 500, JSON.createObjectNode().put("error_code", 50001).put("message", e.toString()));
            }
        }
    }

    private Object route(String method, String[] p, InputStream body) throws IOException {
        boolean get = method.equals("GET");
        boolean post = method.equals("POST");
        if (p.length == 3 && p[0].equals("schemas") && p[1].equals("ids") && get) {
            return schemaById(p[2]);
        }
        if (p.length == 1 && p[0].equals("subjects") && get) {
            return registry.subjects();
        }
        if (p.length >= 2 && p[0].equals("subjects")) {
            String subject = URLDecoder.decode(p[1], StandardCharsets.UTF_8);
            if (p.length == 3 && p[2].equals("versions") && post) {
                return JSON.createObjectNode().put("id", registry.register(subject, readSchema(body)));
            }
            if (p.length == 2 && post) {
                return lookUp(subject, readSchema(body));
            }
            if (p.length == 3 && p[2].equals("versions") && get) {
                return java.util.stream.IntStream.rangeClosed(1, versionsOf(subject).size()).boxed().toList();
            }
            if (p.length == 4 && p[2].equals("versions") && get) {
                return version(subject, p[3]);
            }
        }
        if (isKnownPath(p)) {
            throw new RegistryError(405, 405, "method " + method + " is not supported on /" + String.join("/", p));
        }
        throw new RegistryError(404, 404, "no such endpoint: " + method + " /" + String.join("/", p));
    }

    private ObjectNode schemaById(String idText) {
        int id = parseInt(idText, "schema id");
        try {
            return JSON.createObjectNode().put("schema", registry.schemaById(id).toString());
        } catch (SerdeException e) {
            if (e.reason() != SerdeException.Reason.UNKNOWN_SCHEMA_ID) {
                throw e;
            }
            throw new RegistryError(404, 40403, "Schema " + id + " not found");
        }
    }

    private ObjectNode version(String subject, String versionText) {
        List<Integer> ids = versionsOf(subject);
        int version = versionText.equals("latest") || versionText.equals("-1") ? ids.size()
                : parseInt(versionText, "version");
        if (version < 1 || version > ids.size()) {
            throw new RegistryError(404, 40402, "Version " + versionText + " not found for subject '" + subject
                    + "' (versions 1.." + ids.size() + ")");
        }
        return describe(subject, version, ids.get(version - 1));
    }

    private ObjectNode lookUp(String subject, Schema schema) {
        List<Integer> ids = versionsOf(subject);
        for (int v = 1; v <= ids.size(); v++) {
            if (registry.schemaById(ids.get(v - 1)).equals(schema)) {
                return describe(subject, v, ids.get(v - 1));
            }
        }
        throw new RegistryError(404, 40403, "Schema " + schema.getFullName() + " not found under subject '"
                + subject + "'");
    }

    private List<Integer> versionsOf(String subject) {
        List<Integer> ids = registry.versions(subject);
        if (ids.isEmpty()) {
            throw new RegistryError(404, 40401, "Subject '" + subject + "' not found.");
        }
        return ids;
    }

    private ObjectNode describe(String subject, int version, int id) {
        return JSON.createObjectNode().put("subject", subject).put("version", version).put("id", id)
                .put("schema", registry.schemaById(id).toString());
    }

    private static Schema readSchema(InputStream body) throws IOException {
        JsonNode req;
        try {
            req = JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new RegistryError(400, 400, "request body is not JSON: " + e.getOriginalMessage());
        }
        String type = req == null ? "AVRO" : req.path("schemaType").asText("AVRO");
        if (req == null || !req.path("schema").isTextual()) {
            throw new RegistryError(422, 42201, "Invalid schema: the body needs a \"schema\" string, got " + req);
        }
        if (!type.equals("AVRO") || req.path("references").size() > 0) {
            throw new RegistryError(422, 42201, "Invalid schema: only AVRO schemas without references are "
                    + "supported, got schemaType " + type + " with " + req.path("references").size() + " references");
        }
        String text = req.get("schema").asText();
        try {
            return new Schema.Parser().parse(text);
        } catch (RuntimeException e) { // Avro 1.12 throws NullPointerException for some undefined names
            throw new RegistryError(422, 42201, "Invalid schema " + (text.length() > 200 ? text.substring(0, 200)
                    + "..." : text) + ": " + e.getMessage());
        }
    }

    private static int parseInt(String text, String what) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new RegistryError(404, what.equals("version") ? 40402 : 40403,
                    what + " '" + text + "' is not an integer");
        }
    }

    private static boolean isKnownPath(String[] p) {
        return p[0].equals("subjects") || (p.length == 3 && p[0].equals("schemas") && p[1].equals("ids"));
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", RegistryRest.CONTENT_TYPE);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** An error answer: HTTP status, Confluent error_code and message. */
    private static final class RegistryError extends RuntimeException {
        final int status;
        final int code;

        RegistryError(int status, int code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }
}
