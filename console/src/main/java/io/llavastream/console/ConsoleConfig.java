package io.llavastream.console;

import io.llavastream.rules.PostChecks;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.types.Password;

/** The console's settings, declared once: this declaration is their documentation. */
public final class ConsoleConfig extends AbstractConfig {
    public static final String HOST = "console.host";
    public static final String PORT = "console.port";
    public static final String PORT_FALLBACK = "console.port.fallback";
    public static final String TOKEN = "console.token";
    public static final String IMAGE_CACHE_MAX_BYTES = "image.cache.max.bytes";
    public static final String UPLOAD_MAX_BYTES = "upload.max.bytes";
    public static final String UPLOAD_SOURCE = "upload.source";
    public static final String RECENT_RECORDS = "recent.records.per.partition";
    public static final String RECENT_POSTS = "recent.posts";
    public static final String STATS_INTERVAL_MS = "stats.interval.ms";
    public static final String MAX_EVENT_CLIENTS = "max.event.clients";

    /** The loopback address the console binds unless told otherwise. */
    public static final String LOOPBACK = "127.0.0.1";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(HOST, Type.STRING, LOOPBACK, new ConfigDef.NonEmptyString(), Importance.HIGH,
                    "Address the console listens on. Loopback by default; any other address needs a token "
                            + "(console.token, or one generated and printed at start) on every request.")
            .define(PORT, Type.INT, 8070, Range.between(0, 65535), Importance.HIGH,
                    "HTTP port; 0 takes a free one.")
            .define(PORT_FALLBACK, Type.BOOLEAN, false, Importance.LOW, "When console.port is taken, take a free "
                    + "port instead of failing (the demo does, so that two demos can run at once).")
            .define(TOKEN, Type.PASSWORD, null, Importance.HIGH, "Access token, required on every request when set "
                    + "(header 'Authorization: Bearer TOKEN' or 'X-Console-Token', query '?token=TOKEN', or the "
                    + "cookie that a page loaded with the query sets). Unset on loopback: no token; unset on any "
                    + "other address: a random one is generated and printed.")
            .define(IMAGE_CACHE_MAX_BYTES, Type.LONG, 64L * 1024 * 1024, Range.atLeast(0), Importance.MEDIUM,
                    "Memory for the images shown on the page, bytes (image bytes as posted); the least recently "
                            + "used are evicted first and then show as missing.")
            .define(UPLOAD_MAX_BYTES, Type.INT, PostChecks.DEFAULT_MAX_IMAGE_BYTES, Range.atLeast(1),
                    Importance.MEDIUM, "Largest image an upload may carry, bytes (the topology's default limit "
                            + "for one image).")
            .define(UPLOAD_SOURCE, Type.STRING, "console", new ConfigDef.NonEmptyString(), Importance.LOW,
                    "The source field of the posts that uploads make.")
            .define(RECENT_RECORDS, Type.INT, 20, Range.atLeast(0), Importance.LOW, "At start, how many of each "
                    + "partition's last records to read back, so the page is not empty; then it follows new ones.")
            .define(RECENT_POSTS, Type.INT, 60, Range.between(1, 10_000), Importance.LOW,
                    "Captioned posts kept to show a browser that connects.")
            .define(STATS_INTERVAL_MS, Type.LONG, 2_000L, Range.atLeast(100), Importance.LOW,
                    "How often the stage stats (lag, throughput, latency) are read from Kafka and pushed, ms.")
            .define(MAX_EVENT_CLIENTS, Type.INT, 32, Range.between(1, 1_000), Importance.LOW,
                    "Browsers connected to the event stream at once; more get 503.");

    public ConsoleConfig(Map<?, ?> settings) {
        super(DEFINITION, settings);
    }

    public String host() {
        return getString(HOST);
    }

    public int port() {
        return getInt(PORT);
    }

    public boolean portFallback() {
        return getBoolean(PORT_FALLBACK);
    }

    /** The configured token, or null. */
    public String token() {
        Password p = getPassword(TOKEN);
        return p == null ? null : p.value();
    }

    public long imageCacheMaxBytes() {
        return getLong(IMAGE_CACHE_MAX_BYTES);
    }

    public int uploadMaxBytes() {
        return getInt(UPLOAD_MAX_BYTES);
    }

    public String uploadSource() {
        return getString(UPLOAD_SOURCE);
    }

    public int recentRecords() {
        return getInt(RECENT_RECORDS);
    }

    public int recentPosts() {
        return getInt(RECENT_POSTS);
    }

    public long statsIntervalMs() {
        return getLong(STATS_INTERVAL_MS);
    }

    public int maxEventClients() {
        return getInt(MAX_EVENT_CLIENTS);
    }
}
