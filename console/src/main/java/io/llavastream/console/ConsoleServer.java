package io.llavastream.console;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.llavastream.search.HttpQuery;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The console's HTTP side, on the JDK's server. Every request first passes {@link ConsoleAccess}. Routes:
 * {@code GET /} and {@code /static/*} (the page, from resources), {@code /vendor/uplot/*} (uPlot, from its webjar),
 * {@code GET /events} (server-sent events), {@code GET /api/stats}, {@code GET /api/image/<sha256>},
 * {@code GET /api/search?q=TEXT&k=K} and {@code POST /api/upload?name=FILE&question=TEXT} (the body is the image's
 * bytes). Errors are JSON {@code {"error": ...}} naming the bad value.
 */
final class ConsoleServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    /** Header every POST must carry: a cross-site form cannot set it, so another site cannot upload through us. */
    static final String UPLOAD_HEADER = "X-Requested-With";
    static final String UPLOAD_HEADER_VALUE = "llava-console";
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final long HEARTBEAT_S = 15;

    /** What the routes do; {@link Console} answers them. */
    interface Backend {
        ObjectNode stats();

        Optional<ImageCache.Image> image(String sha256);

        ObjectNode search(String query, int k);

        ObjectNode upload(byte[] body, String name, String question) throws BadUploadException;

        EventHub hub();

        Backlog backlog();

        int uploadMaxBytes();
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final ConsoleAccess access;
    private final Backend backend;
    private final StaticFiles files = new StaticFiles();

    private ConsoleServer(HttpServer server, ExecutorService executor, ConsoleAccess access, Backend backend) {
        this.server = server;
        this.executor = executor;
        this.access = access;
        this.backend = backend;
    }

    static ConsoleServer start(String host, int port, boolean fallback, ConsoleAccess access, Backend backend)
            throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 0);
        } catch (BindException e) {
            if (!fallback || port == 0) {
                throw new BindException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")");
            }
            server = HttpServer.create(new InetSocketAddress(host, 0), 0);
        }
        ExecutorService executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "console-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        ConsoleServer s = new ConsoleServer(server, executor, access, backend);
        server.createContext("/", s.guarded(s::route));
        server.start();
        return s;
    }

    int port() {
        return server.getAddress().getPort();
    }

    private HttpHandler guarded(HttpHandler inner) {
        return ex -> {
            try (ex) {
                ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
                ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
                Optional<ConsoleAccess.Refusal> refused = access.refusal(ex);
                if (refused.isPresent()) {
                    reply(ex, refused.get().status(), error(refused.get().message()));
                    return;
                }
                inner.handle(ex);
            } catch (IOException e) {
                // the browser went away
            } catch (RuntimeException e) {
                try {
                    reply(ex, 500, error(String.valueOf(e)));
                } catch (IOException | RuntimeException ignored) {
                    // headers already sent: nothing more to tell the browser
                }
            }
        };
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        if (path.equals("/api/upload")) {
            if (!method.equals("POST")) {
                reply(ex, 405, error("method " + method + " not allowed on /api/upload; use POST"));
                return;
            }
            upload(ex);
            return;
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            reply(ex, 405, error("method " + method + " not allowed on " + path + "; use GET"));
            return;
        }
        if (path.equals("/events")) {
            events(ex);
        } else if (path.equals("/api/stats")) {
            reply(ex, 200, backend.stats());
        } else if (path.startsWith("/api/image/")) {
            image(ex, path.substring("/api/image/".length()));
        } else if (path.equals("/api/search")) {
            search(ex);
        } else {
            Optional<StaticFiles.File> f = files.find(path);
            if (f.isEmpty()) {
                reply(ex, 404, error("no such page: " + path));
                return;
            }
            ex.getResponseHeaders().set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; "
                    + "style-src 'self' 'unsafe-inline'");
            send(ex, 200, f.get().contentType(), f.get().bytes());
        }
    }

    private void upload(HttpExchange ex) throws IOException {
        if (!UPLOAD_HEADER_VALUE.equals(ex.getRequestHeaders().getFirst(UPLOAD_HEADER))) {
            reply(ex, 403, error("uploads must carry the header " + UPLOAD_HEADER + ": " + UPLOAD_HEADER_VALUE
                    + " (the console's page sends it)"));
            return;
        }
        int max = backend.uploadMaxBytes();
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(max + 1);
        }
        Map<String, String> q = HttpQuery.parse(ex.getRequestURI().getRawQuery());
        try {
            if (body.length > max) {
                throw new BadUploadException("the upload is more than " + max + " bytes; an image may have at most "
                        + max + " bytes");
            }
            reply(ex, 200, backend.upload(body, q.get("name"), q.get("question")));
        } catch (BadUploadException e) {
            reply(ex, 400, error(e.getMessage()));
        }
    }

    private void image(HttpExchange ex, String sha) throws IOException {
        if (!SHA256.matcher(sha).matches()) {
            reply(ex, 400, error("an image is named by its SHA-256, 64 lowercase hex digits; got '" + sha + "'"));
            return;
        }
        Optional<ImageCache.Image> img = backend.image(sha);
        if (img.isEmpty()) {
            reply(ex, 404, error("image " + sha + " is not in the console's cache (not seen, or evicted)"));
            return;
        }
        ex.getResponseHeaders().set("Cache-Control", "private, max-age=86400, immutable");
        send(ex, 200, safeImageType(img.get().contentType()), img.get().data());
    }

    /** A posted content type is the crawler's word; only image types are passed to the browser. */
    private static String safeImageType(String declared) {
        String t = declared == null ? "" : declared.toLowerCase(Locale.ROOT);
        return switch (t) {
            case "image/png", "image/jpeg", "image/gif", "image/bmp", "image/webp" -> t;
            default -> "application/octet-stream";
        };
    }

    private void search(HttpExchange ex) throws IOException {
        Map<String, String> q = HttpQuery.parse(ex.getRequestURI().getRawQuery());
        String kText = q.getOrDefault("k", "8");
        int k;
        try {
            k = Integer.parseInt(kText);
        } catch (NumberFormatException e) {
            reply(ex, 400, error("k must be an integer, not '" + kText + "'"));
            return;
        }
        try {
            reply(ex, 200, backend.search(q.get("q"), k));
        } catch (IllegalArgumentException e) {
            reply(ex, 400, error(e.getMessage()));
        } catch (IllegalStateException e) {
            reply(ex, 503, error(e.getMessage()));
        }
    }

    private void events(HttpExchange ex) throws IOException {
        Optional<EventHub.Subscriber> sub = backend.hub().subscribe(backend.backlog()::events);
        if (sub.isEmpty()) {
            reply(ex, 503, error("too many browsers are connected to the event stream"));
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(EventHub.format("stats", backend.stats()).getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                Optional<String> e = sub.get().next(HEARTBEAT_S, TimeUnit.SECONDS);
                if (e == null) {
                    return;
                }
                out.write(e.orElse(": keep-alive\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            backend.hub().unsubscribe(sub.get());
        }
    }

    static ObjectNode error(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    static void reply(HttpExchange ex, int status, ObjectNode body) throws IOException {
        send(ex, status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
