package io.llavastream.search;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code GET /search?q=TEXT&k=5[&label=L]} over the JDK's HTTP server: reads a {@link SearchService}, writes JSON
 * {@code {"query": ..., "hits": [{"sha256", "post_id", "image_index", "caption", "score"}, ...]}}; a bad request
 * gets 400 with {@code {"error": ...}} naming the bad value.
 */
public final class SearchHttpServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService executor;

    private SearchHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Serves {@code service} at {@code address} (port 0 picks a free one). */
    public static SearchHttpServer start(SearchService service, InetSocketAddress address) {
        try {
            HttpServer server = HttpServer.create(address, 0);
            ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, "search-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/search", ex -> handle(service, ex));
            server.start();
            return new SearchHttpServer(server, executor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + address, e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void handle(SearchService service, HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                reply(ex, 405, error("method " + ex.getRequestMethod() + " not allowed; use GET"));
                return;
            }
            Map<String, String> params = HttpQuery.parse(ex.getRequestURI().getRawQuery());
            String q = params.get("q");
            String kText = params.getOrDefault("k", "5");
            int k;
            try {
                k = Integer.parseInt(kText);
            } catch (NumberFormatException e) {
                reply(ex, 400, error("k must be an integer, not '" + kText + "'"));
                return;
            }
            SearchService.Result r;
            try {
                r = service.search(q, k, params.get("label"));
            } catch (IllegalArgumentException e) {
                reply(ex, 400, error(e.getMessage()));
                return;
            }
            reply(ex, 200, json(r));
        } catch (RuntimeException e) {
            reply(ex, 500, error(String.valueOf(e)));
        }
    }

    /** The response body of a result. */
    static ObjectNode json(SearchService.Result r) {
        ObjectNode n = JSON.createObjectNode().put("query", r.query());
        ArrayNode hits = n.putArray("hits");
        for (SearchHit h : r.hits()) {
            hits.addObject().put("sha256", h.sha256()).put("post_id", h.postId()).put("image_index", h.imageIndex())
                    .put("caption", h.caption()).put("score", h.score());
        }
        return n;
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    private static void reply(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
