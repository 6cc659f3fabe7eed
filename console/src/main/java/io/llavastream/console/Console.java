package io.llavastream.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.model.text.ClipTextEncoder;
import io.llavastream.schemas.Post;
import io.llavastream.search.ImageIndex;
import io.llavastream.search.IndexBuilder;
import io.llavastream.search.SearchHit;
import io.llavastream.search.SearchService;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The web console, started: its HTTP server ({@link ConsoleServer}), the feed that follows the topics
 * ({@link ConsoleFeed}: reads posts, answer-tokens, answers and captioned-posts), the stage stats read every
 * {@code stats.interval.ms} ({@link StageStats}), and, given a CLIP text tower, a search index built and kept up
 * to date from the image-embeddings and captioned-posts topics as {@code search --serve} builds it. Uploads are
 * written to {@link Topics#POSTS}, keyed by their new post id; nothing else is written.
 */
public final class Console implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Console.class);
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final ConsoleConfig config;
    private final ConsoleAccess access;
    private final EventHub hub;
    private final Backlog backlog;
    private final ImageCache images;
    private final Latencies latencies = new Latencies();
    private final ConsoleFeed feed;
    private final Admin admin;
    private final MarkerProbe probe;
    private final StageStats stats;
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde<Post> postSerde;
    private final Uploads uploads;
    private final ScheduledExecutorService scheduler;
    private final Thread feedThread;
    private final ImageIndex index;
    private final IndexBuilder indexBuilder;
    private final SearchService search;
    private final Thread indexThread;
    private volatile boolean stopping;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile ObjectNode lastStats = F.objectNode().putNull("stages");
    private ConsoleServer server;

    private Console(ConsoleConfig config, Map<String, Object> kafka, SchemaRegistry registry, List<StageView> stages,
                    ClipTextEncoder textEncoder, String visionModelId) {
        this.config = config;
        this.access = ConsoleAccess.forBinding(config.host(), config.token());
        this.hub = new EventHub(config.maxEventClients());
        this.backlog = new Backlog(config.recentPosts());
        this.images = new ImageCache(config.imageCacheMaxBytes());
        this.feed = new ConsoleFeed(kafka, registry, config.recentRecords(), images, new TokenPreviews(1000),
                latencies, backlog, hub);
        this.admin = Admin.create(kafka);
        this.probe = new MarkerProbe(kafka);
        this.stats = new StageStats(admin, probe, stages, latencies);
        Map<String, Object> p = new HashMap<>(kafka);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.postSerde = Topics.POSTS.valueSerde(registry);
        this.uploads = new Uploads(config.uploadMaxBytes(), config.uploadSource());
        if (textEncoder != null) {
            this.index = new ImageIndex();
            this.indexBuilder = new IndexBuilder(kafka, registry, index);
            this.search = new SearchService(textEncoder, index, visionModelId);
            this.indexThread = daemon("console-index", this::followIndex);
        } else {
            this.index = null;
            this.indexBuilder = null;
            this.search = null;
            this.indexThread = null;
        }
        this.feedThread = daemon("console-feed", feed);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "console-stats");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts the console.
     *
     * @param kafka         Kafka client settings shared by its consumer, producer and admin client (bootstrap
     *                      servers, security)
     * @param stages        the stages whose lag, throughput and latency it shows
     * @param textEncoder   CLIP's text tower for the search box, or null for a console without search
     * @param visionModelId the vision model whose embeddings the text tower matches (null: any)
     */
    public static Console start(ConsoleConfig config, Map<String, Object> kafka, SchemaRegistry registry,
                                List<StageView> stages, ClipTextEncoder textEncoder, String visionModelId)
            throws IOException {
        Console c = new Console(config, kafka, registry, stages, textEncoder, visionModelId);
        try {
            c.server = ConsoleServer.start(config.host(), config.port(), config.portFallback(), c.access,
                    c.new Routes());
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        c.feedThread.start();
        if (c.indexThread != null) {
            c.indexThread.start();
        }
        c.scheduler.scheduleWithFixedDelay(c::pushStats, 0, config.statsIntervalMs(), TimeUnit.MILLISECONDS);
        return c;
    }

    /** Keeps the search index up to date; an unreachable registry pauses it, never ends it. */
    private void followIndex() {
        while (!stopping) {
            try {
                indexBuilder.follow(() -> stopping);
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                return;
            } catch (RuntimeException e) {
                LOG.warn("the search index stopped following the topics, retrying in 1 s: {}", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private static Thread daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    public int port() {
        return server.port();
    }

    public ConsoleAccess access() {
        return access;
    }

    /** The address to open, with {@code ?token=} when one is needed. */
    public String url() {
        String host = config.host().equals("0.0.0.0") || config.host().equals("::") ? "127.0.0.1" : config.host();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port() + "/" + (access.token() == null ? "" : "?token=" + access.token());
    }

    /**
     * Binds the console's meters to {@code registry} (a {@code --metrics-port} endpoint): its feed's Kafka consumer,
     * records read and skipped per topic, the search index's consumer and size, images cached, browsers connected.
     */
    public void bindTo(io.micrometer.core.instrument.MeterRegistry registry) {
        feed.bindTo(registry);
        if (indexBuilder != null) {
            indexBuilder.bindTo(registry);
            io.micrometer.core.instrument.Gauge.builder("llava.search.index.images", index, ImageIndex::size)
                    .description("images in the search index").register(registry);
        }
        io.micrometer.core.instrument.Gauge.builder("llava.console.images.cached.bytes", images,
                ImageCache::weightedBytes).description("bytes of images held for the page (bounded by "
                + ConsoleConfig.IMAGE_CACHE_MAX_BYTES + ")").baseUnit("bytes").register(registry);
        io.micrometer.core.instrument.Gauge.builder("llava.console.browsers", hub, EventHub::subscribers)
                .description("browsers connected to the event stream").register(registry);
    }

    /** Records of the followed topics skipped as unreadable, by topic (0 for a topic with none). */
    public Map<String, Long> skipped() {
        return feed.skipped();
    }

    private void pushStats() {
        ObjectNode s;
        try {
            s = stats.snapshot();
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            s = F.objectNode().put("error", "cannot read the stage stats from Kafka: " + e.getMessage());
            s.putNull("stages");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        s.put("at", System.currentTimeMillis());
        ObjectNode skipped = s.putObject("skipped");
        feed.skipped().forEach(skipped::put);
        s.put("records_read", feed.read()).put("images_cached", images.size())
                .put("image_cache_bytes", images.weightedBytes()).put("browsers", hub.subscribers())
                .put("search", search != null).put("images_indexed", index == null ? 0 : index.size());
        lastStats = s;
        hub.publish("stats", s);
    }

    private ObjectNode stats() {
        return lastStats;
    }

    private Optional<ImageCache.Image> image(String sha256) {
        return images.get(sha256);
    }

    private ObjectNode search(String query, int k) {
        if (search == null) {
            throw new IllegalStateException("search is off: this console was started without a model");
        }
        SearchService.Result r = search.search(query, k);
        ObjectNode n = F.objectNode().put("query", r.query()).put("encode_ms", r.encodeNanos() / 1e6)
                .put("search_ms", r.searchNanos() / 1e6);
        ArrayNode hits = n.putArray("hits");
        for (SearchHit h : r.hits()) {
            hits.addObject().put("sha256", h.sha256()).put("post_id", h.postId()).put("image_index", h.imageIndex())
                    .put("caption", h.caption()).put("score", h.score())
                    .put("image_cached", images.get(h.sha256()).isPresent());
        }
        return n;
    }

    private ObjectNode upload(byte[] body, String name, String question) throws BadUploadException {
        Post post = uploads.post(body, name, question);
        try {
            producer.send(new ProducerRecord<>(Topics.POSTS.name(), post.getId(),
                    postSerde.serialize(Topics.POSTS.name(), post))).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("could not write the post to " + Topics.POSTS.name() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the post", e);
        }
        ObjectNode n = F.objectNode().put("post_id", post.getId());
        n.putArray("images").add(ConsoleEvents.shas(post).get(0));
        return n;
    }

    /** What the server's routes ask of this console. */
    private final class Routes implements ConsoleServer.Backend {
        @Override
        public ObjectNode stats() {
            return Console.this.stats();
        }

        @Override
        public Optional<ImageCache.Image> image(String sha256) {
            return Console.this.image(sha256);
        }

        @Override
        public ObjectNode search(String query, int k) {
            return Console.this.search(query, k);
        }

        @Override
        public ObjectNode upload(byte[] body, String name, String question) throws BadUploadException {
            return Console.this.upload(body, name, question);
        }

        @Override
        public EventHub hub() {
            return hub;
        }

        @Override
        public Backlog backlog() {
            return backlog;
        }

        @Override
        public int uploadMaxBytes() {
            return config.uploadMaxBytes();
        }
    }

    /** Stops everything; a second call does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        stopping = true;
        hub.close();
        if (server != null) {
            server.close();
        }
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        probe.close();
        feed.close();
        if (feedThread.getState() == Thread.State.NEW) {
            feed.run();  // stop is set: closes its consumer at once
        } else {
            join(feedThread);
        }
        if (indexBuilder != null) {
            if (indexThread.getState() != Thread.State.NEW) {
                indexBuilder.wakeup();
            }
            join(indexThread);
            indexBuilder.close();
            index.close();
        }
        producer.close(java.time.Duration.ofSeconds(5));
        admin.close(java.time.Duration.ofSeconds(5));
    }

    private static void join(Thread t) {
        if (!t.isAlive()) {
            return;
        }
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
