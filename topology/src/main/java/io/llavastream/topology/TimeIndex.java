package io.llavastream.topology;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Post ids in time order, kept in a persistent store beside the store they index, so that "older than" and "oldest
 * n" read only the entries they return. The key is the time as 16 hex digits, '|', then the post id: RocksDB keeps
 * keys in byte order, which is then time order. The value is the post id. {@link #count} is counted once when the
 * processor starts and kept up to date by {@link #add} and {@link #remove}. Touches no topic (the store's changelog
 * is Kafka Streams' business).
 */
final class TimeIndex {
    /** One indexed post. */
    record Entry(long time, String postId) {
    }

    private final KeyValueStore<String, String> store;
    private long count;

    TimeIndex(KeyValueStore<String, String> store) {
        this.store = store;
        try (KeyValueIterator<String, String> all = store.all()) {
            while (all.hasNext()) {
                all.next();
                count++;
            }
        }
    }

    static String key(long time, String postId) {
        return String.format("%016x|%s", Math.max(0, time), postId);
    }

    void add(long time, String postId) {
        String key = key(time, postId);
        if (store.get(key) == null) {
            store.put(key, postId);
            count++;
        }
    }

    void remove(long time, String postId) {
        if (store.delete(key(time, postId)) != null) {
            count--;
        }
    }

    long count() {
        return count;
    }

    /** Up to {@code limit} entries with a time at or before {@code cutoff}, oldest first. */
    List<Entry> upTo(long cutoff, int limit) {
        return scan(cutoff, limit);
    }

    /** The {@code n} oldest entries. */
    List<Entry> oldest(int n) {
        return scan(Long.MAX_VALUE, n);
    }

    private List<Entry> scan(long cutoff, int limit) {
        List<Entry> out = new ArrayList<>();
        try (KeyValueIterator<String, String> all = store.all()) {
            while (all.hasNext() && out.size() < limit) {
                KeyValue<String, String> e = all.next();
                long time = Long.parseUnsignedLong(e.key.substring(0, 16), 16);
                if (time > cutoff) {
                    break;
                }
                out.add(new Entry(time, e.value));
            }
        }
        return out;
    }
}
