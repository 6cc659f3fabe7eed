package io.llavastream.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A test's reader of the console's server-sent events, as a browser's EventSource reads them. */
final class EventStream implements AutoCloseable {
    record Event(String name, JsonNode data) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<Event> seen = new ArrayList<>();
    private final HttpURLConnection connection;
    private final Thread reader;

    EventStream(String url) throws Exception {
        connection = (HttpURLConnection) URI.create(url).toURL().openConnection();
        connection.setReadTimeout(0);
        if (connection.getResponseCode() != 200) {
            throw new IllegalStateException("GET " + url + " answered " + connection.getResponseCode());
        }
        reader = new Thread(this::read, "test-sse");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(),
                StandardCharsets.UTF_8))) {
            String name = null;
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    events.add(new Event(name, JSON.readTree(line.substring(6))));
                }
            }
        } catch (Exception e) {
            // closed
        }
    }

    /** The first event named {@code name} that satisfies {@code test}, waiting up to {@code timeout}. */
    Event await(String name, Predicate<JsonNode> test, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (Event e : seen) {
            if (e.name().equals(name) && test.test(e.data())) {
                return e;
            }
        }
        while (System.nanoTime() < deadline) {
            Event e = events.poll(100, TimeUnit.MILLISECONDS);
            if (e == null) {
                continue;
            }
            seen.add(e);
            if (e.name().equals(name) && test.test(e.data())) {
                return e;
            }
        }
        throw new AssertionError("no '" + name + "' event as expected within " + timeout + "; saw " + seen.stream()
                .map(x -> x.name() + " " + x.data()).toList());
    }

    /** Every event named {@code name} seen so far (after draining what arrived). */
    List<JsonNode> all(String name) {
        List<Event> more = new ArrayList<>();
        events.drainTo(more);
        seen.addAll(more);
        return seen.stream().filter(e -> e.name().equals(name)).map(Event::data).toList();
    }

    @Override
    public void close() {
        connection.disconnect();
    }
}
