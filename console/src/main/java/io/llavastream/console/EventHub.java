package io.llavastream.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;

/**
 * The browsers connected to the event stream. {@link #publish} formats one server-sent event and queues it for
 * every subscriber; a subscriber whose queue is full (a browser that stopped reading) is dropped rather than
 * holding memory or slowing the others.
 */
final class EventHub {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CLOSED = "";
    static final int QUEUE_EVENTS = 4096;

    /** One connected browser's queue of formatted events. */
    static final class Subscriber {
        private final BlockingQueue<String> queue = new ArrayBlockingQueue<>(QUEUE_EVENTS);
        private volatile boolean dropped;

        /** The next formatted event, empty after {@code wait} with none, or null once this subscriber is closed. */
        Optional<String> next(long wait, TimeUnit unit) throws InterruptedException {
            String e = queue.poll(wait, unit);
            if (e == CLOSED || dropped) {
                return null;
            }
            return Optional.ofNullable(e);
        }

        boolean offer(String event) {
            return queue.offer(event);
        }
    }

    private final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();
    private final int maxSubscribers;

    EventHub(int maxSubscribers) {
        this.maxSubscribers = maxSubscribers;
    }

    /**
     * A new subscriber primed with {@code backlog} (formatted events), or empty when there are too many already.
     * The backlog is read under the same lock as {@link #publish}, so an event is either in it or published to the
     * new subscriber after it (or, harmlessly, both), never lost in between.
     */
    synchronized Optional<Subscriber> subscribe(java.util.function.Supplier<List<String>> backlog) {
        if (subscribers.size() >= maxSubscribers) {
            return Optional.empty();
        }
        Subscriber s = new Subscriber();
        backlog.get().stream().limit(QUEUE_EVENTS / 2).forEach(s::offer);
        subscribers.add(s);
        return Optional.of(s);
    }

    void unsubscribe(Subscriber s) {
        subscribers.remove(s);
    }

    int subscribers() {
        return subscribers.size();
    }

    synchronized void publish(String event, ObjectNode data) {
        String formatted = format(event, data);
        for (Subscriber s : subscribers) {
            if (!s.offer(formatted)) {
                s.dropped = true;
                subscribers.remove(s);
            }
        }
    }

    /** One server-sent event: its name and its data, JSON on one line. */
    static String format(String event, ObjectNode data) {
        try {
            return "event: " + event + "\ndata: " + JSON.writeValueAsString(data) + "\n\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write event " + event + " as JSON", e);
        }
    }

    /** Ends every subscriber's stream. */
    void close() {
        for (Subscriber s : subscribers) {
            s.queue.clear();
            s.offer(CLOSED);
        }
        subscribers.clear();
    }
}
