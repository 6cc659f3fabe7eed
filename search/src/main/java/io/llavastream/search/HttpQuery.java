package io.llavastream.search;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A URL query string's parameters, decoded; the first of a repeated name wins and a parameter with a malformed
 * %-escape is ignored, as if absent. Shared by the search server and the console.
 */
public final class HttpQuery {
    private HttpQuery() {
    }

    public static Map<String, String> parse(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                out.putIfAbsent(name, value);
            } catch (IllegalArgumentException e) {
                // a malformed %-escape: the parameter is ignored, as if absent
            }
        }
        return out;
    }
}
