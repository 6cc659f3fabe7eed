package io.llavastream.console;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a browser that connects now is shown first: the last {@code maxPosts} posts, each as its {@code post} event
 * and then either its {@code captioned} event or its tasks' latest {@code token} events, oldest post first.
 */
final class Backlog {
    private static final class Entry {
        String post;
        String captioned;
        final Map<String, String> tokens = new LinkedHashMap<>();
    }

    private final Map<String, Entry> posts;

    Backlog(int maxPosts) {
        this.posts = new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > maxPosts;
            }
        };
    }

    synchronized void post(String postId, ObjectNode event) {
        posts.computeIfAbsent(postId, id -> new Entry()).post = EventHub.format("post", event);
    }

    synchronized void token(String postId, String taskId, ObjectNode event) {
        Entry e = posts.computeIfAbsent(postId, id -> new Entry());
        if (e.captioned == null) {
            e.tokens.put(taskId, EventHub.format("token", event));
        }
    }

    synchronized void captioned(String postId, ObjectNode event) {
        Entry e = posts.computeIfAbsent(postId, id -> new Entry());
        e.captioned = EventHub.format("captioned", event);
        e.tokens.clear();
    }

    synchronized List<String> events() {
        List<String> out = new ArrayList<>();
        for (Entry e : posts.values()) {
            if (e.post != null) {
                out.add(e.post);
            }
            if (e.captioned != null) {
                out.add(e.captioned);
            } else {
                out.addAll(e.tokens.values());
            }
        }
        return out;
    }
}
