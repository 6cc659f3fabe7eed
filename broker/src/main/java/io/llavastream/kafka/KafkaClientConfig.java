package io.llavastream.kafka;

import io.llavastream.topics.LargeRecords;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.kafka.clients.CommonClientConfigs;

/**
 * The Kafka client settings of a command, so that every command runs against any cluster (SASL and TLS included)
 * with Kafka's own property names. Sources, in increasing precedence:
 * <ol>
 *   <li>defaults: {@code bootstrap.servers=127.0.0.1:9092}, where {@code ./llava-stream broker} listens;</li>
 *   <li>a Java properties file of standard client settings ({@code --client-config FILE});</li>
 *   <li>environment variables {@code LLAVA_KAFKA_<NAME>}, where NAME is the property in upper case with dots as
 *       underscores ({@code LLAVA_KAFKA_SASL_JAAS_CONFIG} sets {@code sasl.jaas.config}), for secrets that should
 *       not sit in a file; empty values are ignored;</li>
 *   <li>an explicit bootstrap servers value ({@code --bootstrap-servers}).</li>
 * </ol>
 * The per-client views add {@link LargeRecords}' settings underneath, so a user's own value still wins.
 */
public final class KafkaClientConfig {
    public static final String ENV_PREFIX = "LLAVA_KAFKA_";
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "127.0.0.1:9092";
    /** Kafka Streams' prefixes for its producers' and consumers' settings (StreamsConfig's, without its jar). */
    static final String STREAMS_PRODUCER_PREFIX = "producer.";
    static final String STREAMS_CONSUMER_PREFIX = "consumer.";

    private final Map<String, String> settings;

    private KafkaClientConfig(Map<String, String> settings) {
        this.settings = Map.copyOf(settings);
    }

    /** From this process's environment. {@code clientConfigFile} and {@code bootstrapServers} may be null. */
    public static KafkaClientConfig load(Path clientConfigFile, String bootstrapServers) {
        return load(clientConfigFile, System.getenv(), bootstrapServers);
    }

    /** As {@link #load(Path, String)}, with the environment given (for tests). */
    public static KafkaClientConfig load(Path clientConfigFile, Map<String, String> env, String bootstrapServers) {
        Map<String, String> s = new TreeMap<>();
        s.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, DEFAULT_BOOTSTRAP_SERVERS);
        if (clientConfigFile != null) {
            s.putAll(readFile(clientConfigFile));
        }
        s.putAll(fromEnvironment(env));
        if (bootstrapServers != null && !bootstrapServers.isBlank()) {
            s.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers.strip());
        }
        return new KafkaClientConfig(s);
    }

    /** The {@code LLAVA_KAFKA_*} variables as client properties. */
    static Map<String, String> fromEnvironment(Map<String, String> env) {
        Map<String, String> s = new TreeMap<>();
        env.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX) && name.length() > ENV_PREFIX.length() && !value.isBlank()) {
                s.put(name.substring(ENV_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return s;
    }

    private static Map<String, String> readFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("client config file " + file
                    + " does not exist; expected a Java properties file of Kafka client settings");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("could not read client config file " + file, e);
        }
        Map<String, String> s = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> s.put(k, p.getProperty(k).strip()));
        return s;
    }

    public String bootstrapServers() {
        return settings.get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG);
    }

    /** The merged settings, common to every client, sorted by name. */
    public Map<String, Object> common() {
        return new TreeMap<>(settings);
    }

    /** {@link #common()} as Properties, for APIs that take them. */
    public Properties properties() {
        Properties p = new Properties();
        p.putAll(settings);
        return p;
    }

    /** For admin clients: the common settings. */
    public Map<String, Object> admin() {
        return common();
    }

    /** For producers: large-record settings, overridden by the user's. */
    public Map<String, Object> producer() {
        return underneath(LargeRecords.producer(), "");
    }

    /** For consumers: large-record settings, overridden by the user's. */
    public Map<String, Object> consumer() {
        return underneath(LargeRecords.consumer(), "");
    }

    /**
     * For Kafka Streams (Properties, which {@code new KafkaStreams} takes): the common settings, plus the large-record ones with Streams' {@code producer.} and
     * {@code consumer.} prefixes where the user set neither the plain nor the prefixed name (Streams lets a
     * prefixed name win over a plain one, so a prefixed default would otherwise hide the user's plain value).
     */
    public Properties streams() {
        Properties p = new Properties();
        p.putAll(underneath(prefixed(LargeRecords.producer(), STREAMS_PRODUCER_PREFIX), STREAMS_PRODUCER_PREFIX));
        p.putAll(underneath(prefixed(LargeRecords.consumer(), STREAMS_CONSUMER_PREFIX), STREAMS_CONSUMER_PREFIX));
        return p;
    }

    /** {@code defaults}, then the user's settings; a default named {@code prefix + key} also yields to {@code key}. */
    private Map<String, Object> underneath(Map<String, Object> defaults, String prefix) {
        Map<String, Object> s = new TreeMap<>();
        defaults.forEach((k, v) -> {
            if (!settings.containsKey(k.substring(prefix.length()))) {
                s.put(k, v);
            }
        });
        s.putAll(settings);
        return s;
    }

    private static Map<String, Object> prefixed(Map<String, Object> m, String prefix) {
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(prefix + k, v));
        return out;
    }
}
