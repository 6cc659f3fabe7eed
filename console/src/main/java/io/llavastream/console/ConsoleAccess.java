package io.llavastream.console;

import com.sun.net.httpserver.HttpExchange;
import io.llavastream.search.HttpQuery;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * Who may use the console. Bound to a loopback address without a token, anyone on this machine may; bound to any
 * other address, every request must carry the token (the configured one, or one generated here): as
 * {@code Authorization: Bearer TOKEN}, {@code X-Console-Token: TOKEN}, {@code ?token=TOKEN} (which also sets a
 * cookie, so that the page's own requests and its event stream carry it) or that cookie.
 */
public final class ConsoleAccess {
    static final String COOKIE = "llava_console_token";
    private final String token;
    private final boolean generated;

    private ConsoleAccess(String token, boolean generated) {
        this.token = token;
        this.generated = generated;
    }

    /** The access rule for a console bound to {@code host} with {@code token} (null: none given). */
    public static ConsoleAccess forBinding(String host, String token) {
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("the console token is blank; give a non-empty token or none");
        }
        if (token != null) {
            return new ConsoleAccess(token, false);
        }
        return isLoopback(host) ? new ConsoleAccess(null, false) : new ConsoleAccess(randomToken(), true);
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("cannot resolve the console host '" + host + "'", e);
        }
    }

    private static String randomToken() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The token every request needs, or null when none is needed. */
    public String token() {
        return token;
    }

    /** Whether the token was generated here (and must be shown to the user) rather than given. */
    public boolean generated() {
        return generated;
    }

    /** Why a request is refused: the HTTP status and a message for the user. */
    record Refusal(int status, String message) {
    }

    /** Why {@code ex} may not proceed, or empty when it may. */
    java.util.Optional<Refusal> refusal(HttpExchange ex) {
        if (admit(ex)) {
            return java.util.Optional.empty();
        }
        if (token == null) {
            return java.util.Optional.of(new Refusal(403, "this console serves only requests addressed to localhost "
                    + "or 127.0.0.1, not to '" + ex.getRequestHeaders().getFirst("Host") + "'"));
        }
        return java.util.Optional.of(new Refusal(401, "this console needs its token: add ?token=TOKEN to the "
                + "address, or send 'Authorization: Bearer TOKEN'"));
    }

    /**
     * Whether {@code ex} may proceed; a valid {@code ?token=} query also sets the cookie on the response.
     */
    boolean admit(HttpExchange ex) {
        if (token == null) {
            return loopbackHostHeader(ex.getRequestHeaders().getFirst("Host"));
        }
        String query = HttpQuery.parse(ex.getRequestURI().getRawQuery()).get("token");
        if (matches(query)) {
            ex.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
            return true;
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.startsWith("Bearer ") && matches(auth.substring(7).trim())) {
            return true;
        }
        return matches(ex.getRequestHeaders().getFirst("X-Console-Token")) || matches(cookie(ex));
    }

    /**
     * Without a token, only requests addressed to a loopback name are served: a page elsewhere whose own name
     * resolves to 127.0.0.1 (DNS rebinding) sends its own name as Host and is refused.
     */
    static boolean loopbackHostHeader(String host) {
        if (host == null) {
            return false;
        }
        String h = host.strip().toLowerCase(java.util.Locale.ROOT);
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close > 0 && h.substring(1, close).equals("::1");
        }
        int colon = h.indexOf(':');
        String name = colon < 0 ? h : h.substring(0, colon);
        return name.equals("localhost") || name.matches("127(\\.\\d{1,3}){3}");
    }

    private static String cookie(HttpExchange ex) {
        List<String> headers = ex.getRequestHeaders().get("Cookie");
        if (headers == null) {
            return null;
        }
        for (String header : headers) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith(COOKIE + "=")) {
                    return p.substring(COOKIE.length() + 1);
                }
            }
        }
        return null;
    }

    /** Constant-time comparison, so that response times do not leak the token. */
    private boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(candidate.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }
}
