package io.llavastream.cli;

import io.llavastream.metrics.MetricsServer;
import io.llavastream.model.LlavaModel;
import io.llavastream.search.ImageIndex;
import io.llavastream.search.IndexBuilder;
import io.llavastream.search.SearchHit;
import io.llavastream.search.SearchHttpServer;
import io.llavastream.search.SearchService;
import io.micrometer.core.instrument.Gauge;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code search}: builds a text-to-image index from the image-embeddings and captioned-posts topics
 * (read_committed, from their beginning), then prints the images that best fit a description, or with
 * {@code --serve} keeps following the topics and answers {@code GET /search?q=...&k=5} until Ctrl-C.
 */
@Command(name = "search", mixinStandardHelpOptions = true,
        description = "Find images by describing them: CLIP text embedding against a Lucene HNSW index built from the "
                + "image-embeddings and captioned-posts topics.")
final class SearchCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    MetricsOptions metrics;
    @Mixin
    RegistryOptions registry;
    @Mixin
    ModelOptions modelOptions;
    @Parameters(arity = "0..1", paramLabel = "TEXT", description = "What the image shows.")
    String query;
    @Option(names = "--label", paramLabel = "LABEL", description = "Only images that carry this zero-shot label "
            + "(docs/labels.md), as scored when the vision worker encoded them. With --serve, GET /search takes "
            + "label=LABEL.")
    String label;
    @Option(names = "--k", defaultValue = "5", description = "How many images (default ${DEFAULT-VALUE}).")
    int k;
    @Option(names = "--json", description = "One JSON object per hit: rank, sha256, post_id, image_index, caption, "
            + "score.")
    boolean json;
    @Option(names = "--serve", description = "Keep following the topics and serve GET /search?q=TEXT&k=K until "
            + "Ctrl-C.")
    boolean serve;
    @Option(names = "--port", defaultValue = "8090", description = "HTTP port for --serve (default ${DEFAULT-VALUE}).")
    int port;
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address for --serve to listen on "
            + "(default ${DEFAULT-VALUE}).")
    String host;
    @Option(names = "--model-id", description = "Only this vision model's embeddings (default: the loaded model's id).")
    String modelId;
    @Option(names = "--timeout", defaultValue = "300", description = "Seconds to read the topics to their end "
            + "(default ${DEFAULT-VALUE}).")
    long timeoutSeconds;
    /** Set by Ctrl-C's hook or {@link #stop}: --serve stops following the topics and returns. */
    private final AtomicBoolean stop = new AtomicBoolean();

    @Override
    public Integer call() throws Exception {
        if (query == null && !serve) {
            System.err.println("search: give a TEXT to search for, or --serve");
            return 2;
        }
        if (k < 1 || k > SearchService.MAX_K) {
            System.err.println("search: --k must be in 1.." + SearchService.MAX_K + ", got " + k);
            return 2;
        }
        if (serve && (port < 0 || port > 65535)) {
            System.err.println("search: --port must be in 0..65535, got " + port);
            return 2;
        }
        try (LlavaModel model = modelOptions.load();
             ImageIndex index = new ImageIndex();
             IndexBuilder builder = new IndexBuilder(kafka.load().consumer(), registry.connect(), index)) {
            catchUp(builder);
            System.err.printf("search: %d images indexed%n", index.size());
            SearchService service = new SearchService(model.textEncoder(), index,
                    modelId != null ? modelId : model.visionModelId());
            if (query != null) {
                print(service.search(query, k, label));
            }
            if (serve) {
                serve(service, builder, index);
            }
        } catch (IllegalArgumentException | IllegalStateException | org.apache.kafka.common.KafkaException e) {
            System.err.println("search: " + e.getMessage());
            return 1;
        }
        return 0;
    }

    private void catchUp(IndexBuilder builder) {
        Progress[] bar = {null};
        long[] shown = {0};
        builder.catchUp(Duration.ofSeconds(timeoutSeconds), (read, total) -> {
            if (bar[0] == null) {
                bar[0] = new Progress("indexing", total);
            }
            bar[0].advance(read - shown[0]);
            shown[0] = read;
        });
        if (bar[0] != null) {
            bar[0].close();
        }
    }

    private void print(SearchService.Result r) {
        int rank = 0;
        for (SearchHit h : r.hits()) {
            rank++;
            if (json) {
                JsonLines.print(JsonLines.object().put("query", r.query()).put("rank", rank).put("sha256", h.sha256())
                        .put("post_id", h.postId()).put("image_index", h.imageIndex()).put("caption", h.caption())
                        .put("score", h.score()));
            } else {
                System.out.printf("%d. %.3f %s [%d] %s  %s%n", rank, h.score(), h.postId(), h.imageIndex(),
                        h.caption() == null ? "(no caption yet)" : h.caption(), h.sha256().substring(0, 12));
            }
        }
        if (r.hits().isEmpty()) {
            System.err.println("search: the index holds no images of this model");
        }
    }

    /** Serves until Ctrl-C; the shutdown hook stops following and waits for the consumer to close. */
    private void serve(SearchService service, IndexBuilder builder, ImageIndex index) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                done.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "search-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Optional<MetricsServer> endpoint = metrics.start("search");
        endpoint.ifPresent(m -> {
            builder.bindTo(m.registry());
            Gauge.builder("llava.search.index.images", index, ImageIndex::size)
                    .description("images in the search index").register(m.registry());
        });
        try (AutoCloseable metricsServer = endpoint.isPresent() ? endpoint.get() : () -> { };
             SearchHttpServer server = SearchHttpServer.start(service, new InetSocketAddress(host, port))) {
            System.err.printf("search: serving http://%s:%d/search?q=TEXT&k=%d and following the topics; Ctrl-C "
                    + "stops%n", host, server.port(), k);
            builder.follow(stop::get);
        } finally {
            done.countDown();
            if (stop.get()) {
                removeHook(hook);
            }
        }
    }

    /** Stops --serve as Ctrl-C would (for tests, which cannot send the JVM a signal). */
    void stop() {
        stop.set(true);
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is what stopped us
        }
    }
}
