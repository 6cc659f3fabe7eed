package io.llavastream.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import org.apache.avro.Schema;

/**
 * A {@link SchemaRegistry} over the Confluent Schema Registry REST API, which Apicurio (its ccompat API), Karapace
 * and Redpanda serve too. It uses two calls: {@code POST /subjects/{subject}/versions} with
 * {@code {"schema": "<schema JSON>"}} (schemaType AVRO implied) to register, answered {@code {"id": N}}, and
 * {@code GET /schemas/ids/{id}}, answered {@code {"schema": "..."}}. Ids and schemas are cached, so each subject's
 * schema is registered once and each id is fetched once per client; a registry outage mid-run therefore only
 * affects schemas this client has never seen. Answers that are errors are not cached.
 *
 * <p>Errors: an id the registry answers with HTTP 404 and error_code 40403 becomes
 * {@link SerdeException.Reason#UNKNOWN_SCHEMA_ID}; a failed connection, a timeout, HTTP 5xx and any other
 * unexpected answer become {@link SerdeException.Reason#REGISTRY_UNAVAILABLE}; messages name the URL, the call and
 * the status. A schema of another type (JSON, PROTOBUF) or one that does not parse is
 * {@link SerdeException.Reason#NOT_AVRO}.
 *
 * <p>Why not a library: the {@code io.confluent} artifacts (kafka-schema-registry-client, kafka-avro-serializer)
 * are published on Confluent's own Maven repository, not on Maven Central, which is all this build can reach; and
 * Apicurio's serdes speak Apicurio's own API and id handling, so they can't talk to a Confluent registry. The subset
 * used here is two calls; {@code tools/confluent-check} cross-checks the bytes with Confluent's own serde.
 */
public final class ConfluentSchemaRegistryClient implements SchemaRegistry {
    /**
     * Connection settings.
     *
     * @param basicAuthUserInfo "user:password" for HTTP basic auth, or null (then user info in the URL, if any)
     * @param sslContext        the TLS context for https URLs, or null for the JDK default
     * @param connectTimeout    TCP/TLS connect timeout
     * @param requestTimeout    timeout of each request, response included
     */
    public record Options(String basicAuthUserInfo, SSLContext sslContext, Duration connectTimeout,
                          Duration requestTimeout) {
        /**
         * No auth, the default TLS context, 5 s to connect, 10 s per request. Short, because a stage waits for the
         * registry while it holds a batch: a registry outage must become REGISTRY_UNAVAILABLE (retry with backoff)
         * well within the consumer's max.poll.interval.ms.
         */
        public static Options defaults() {
            return new Options(null, null, Duration.ofSeconds(5), Duration.ofSeconds(10));
        }

        public Options withBasicAuth(String userInfo) {
            return new Options(userInfo, sslContext, connectTimeout, requestTimeout);
        }

        public Options withSslContext(SSLContext context) {
            return new Options(basicAuthUserInfo, context, connectTimeout, requestTimeout);
        }

        public Options withTimeouts(Duration connect, Duration request) {
            return new Options(basicAuthUserInfo, sslContext, connect, request);
        }
    }

    private final RegistryRest rest;
    private final Map<String, Integer> idsBySubjectAndSchema = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    /** A client for {@code urls}: one base URL, or several separated by commas (tried in order). */
    public ConfluentSchemaRegistryClient(String urls) {
        this(urls, Options.defaults());
    }

    public ConfluentSchemaRegistryClient(String urls, Options options) {
        List<URI> bases = new ArrayList<>();
        String urlUserInfo = null;
        for (String u : urls.split(",")) {
            URI uri = parseUrl(u.strip());
            if (uri.getRawUserInfo() != null) {
                urlUserInfo = URLDecoder.decode(uri.getRawUserInfo(), StandardCharsets.UTF_8);
                uri = withoutUserInfo(uri);
            }
            bases.add(uri);
        }
        String userInfo = options.basicAuthUserInfo() != null ? options.basicAuthUserInfo() : urlUserInfo;
        this.rest = new RegistryRest(bases, userInfo, options);
    }

    /**
     * A client from Confluent's client properties: {@code schema.registry.url} (required),
     * {@code basic.auth.credentials.source} (URL, the default: user info in the URL if any; or USER_INFO) and
     * {@code basic.auth.user.info} ("user:password", for USER_INFO). TLS needs {@link Options#withSslContext}.
     */
    public static ConfluentSchemaRegistryClient fromConfig(Map<String, ?> config) {
        Object url = config.get("schema.registry.url");
        if (url == null || url.toString().isBlank()) {
            throw new IllegalArgumentException("schema.registry.url is not set (config keys: " + config.keySet() + ")");
        }
        Object sourceValue = config.get("basic.auth.credentials.source");
        String source = sourceValue == null ? "URL" : sourceValue.toString();
        Object userInfo = config.get("basic.auth.user.info");
        Options options = Options.defaults();
        if ("USER_INFO".equalsIgnoreCase(source)) {
            if (userInfo == null || userInfo.toString().isBlank()) {
                throw new IllegalArgumentException("basic.auth.credentials.source=USER_INFO needs basic.auth.user.info"
                        + " (\"user:password\")");
            }
            options = options.withBasicAuth(userInfo.toString());
        } else if (!"URL".equalsIgnoreCase(source)) {
            throw new IllegalArgumentException("basic.auth.credentials.source=" + source
                    + " is not supported; use USER_INFO (with basic.auth.user.info) or URL");
        }
        return new ConfluentSchemaRegistryClient(url.toString(), options);
    }

    /** The registry's base URL(s), without user info. */
    public String url() {
        return rest.urls();
    }

    @Override
    public int register(String subject, Schema schema) {
        String key = subject + '\n' + schema;
        Integer cached = idsBySubjectAndSchema.get(key);
        if (cached != null) {
            return cached;
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("schema", schema.toString());
        String path = "/subjects/" + encode(subject) + "/versions";
        RegistryRest.Reply reply = rest.send("POST", path, body);
        if (!reply.ok()) {
            throw failure("POST " + path, reply, "cannot register the schema of " + schema.getFullName()
                    + " under subject '" + subject + "'");
        }
        JsonNode id = reply.body().path("id");
        if (!id.canConvertToInt()) {
            throw unexpected("POST " + path, reply, "no integer \"id\"");
        }
        idsBySubjectAndSchema.put(key, id.intValue());
        schemasById.putIfAbsent(id.intValue(), schema);
        return id.intValue();
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        String path = "/schemas/ids/" + id;
        RegistryRest.Reply reply = rest.send("GET", path, null);
        if (reply.status() == 404 && reply.errorCode() == 40403) {
            throw new SerdeException(SerdeException.Reason.UNKNOWN_SCHEMA_ID, "schema id " + id
                    + " is not registered at " + rest.urls() + ": " + reply.describe());
        }
        if (!reply.ok()) {
            throw failure("GET " + path, reply, "cannot fetch schema id " + id);
        }
        Schema schema = parse(id, reply);
        schemasById.putIfAbsent(id, schema);
        return schema;
    }

    private Schema parse(int id, RegistryRest.Reply reply) {
        String type = reply.body().path("schemaType").asText("AVRO");
        JsonNode text = reply.body().path("schema");
        if (!"AVRO".equalsIgnoreCase(type)) {
            throw new SerdeException(SerdeException.Reason.NOT_AVRO, "schema id " + id + " at " + rest.urls()
                    + " is a " + type + " schema, not AVRO");
        }
        if (!text.isTextual()) {
            throw unexpected("GET /schemas/ids/" + id, reply, "no \"schema\" string");
        }
        try {
            return new Schema.Parser().parse(text.asText());
        } catch (RuntimeException e) { // SchemaParseException, or NullPointerException for some undefined names
            throw new SerdeException(SerdeException.Reason.NOT_AVRO, "schema id " + id + " at " + rest.urls()
                    + " does not parse as Avro: " + e.getMessage(), e);
        }
    }

    private static SerdeException failure(String call, RegistryRest.Reply reply, String what) {
        String hint = reply.status() == 401 || reply.status() == 403
                ? "; check basic.auth.user.info / the URL's user info" : "";
        return new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, what + ": schema registry at "
                + reply.url() + " answered " + reply.describe() + " to " + call + hint);
    }

    private static SerdeException unexpected(String call, RegistryRest.Reply reply, String missing) {
        return new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "schema registry at " + reply.url()
                + " answered " + call + " with " + missing + ": "
                + (reply.raw().length() > 200 ? reply.raw().substring(0, 200) + "..." : reply.raw()));
    }

    static String encode(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static URI parseUrl(String url) {
        try {
            URI uri = new URI(url);
            if (uri.getScheme() == null || !uri.getScheme().matches("(?i)https?") || uri.getHost() == null) {
                throw new IllegalArgumentException("schema registry URL '" + url
                        + "' is not an http(s)://host[:port] URL");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("schema registry URL '" + url + "' does not parse: "
                    + e.getMessage(), e);
        }
    }

    private static URI withoutUserInfo(URI uri) {
        try {
            return new URI(uri.getScheme(), null, uri.getHost(), uri.getPort(), uri.getPath(), null, null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("schema registry URL '" + uri + "': " + e.getMessage(), e);
        }
    }
}
