package io.llavastream.cli;

import io.llavastream.console.Console;
import io.llavastream.console.ConsoleConfig;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --console-port}, {@code --console-host} and {@code --console-token} of the {@code console} command
 * ({@code @Mixin ConsoleOptions options;}); {@link ConsoleConfig} documents the settings they set.
 */
final class ConsoleOptions {
    @Option(names = "--console-port", paramLabel = "PORT", description = "HTTP port of the console (default 8070; "
            + "0 takes a free port).")
    Integer port;
    @Option(names = "--console-host", defaultValue = ConsoleConfig.LOOPBACK, paramLabel = "HOST", description =
            "Address to listen on (default ${DEFAULT-VALUE}, loopback). Any other address needs a token: "
                    + "--console-token, or one generated and printed at start.")
    String host;
    @Option(names = "--console-token", paramLabel = "TOKEN", description = "Token every request must carry "
            + "(Authorization: Bearer TOKEN, X-Console-Token, ?token=TOKEN or the cookie it sets). Default: none "
            + "on loopback, a generated one elsewhere.")
    String token;

    /**
     * The console settings; a port out of range throws naming it.
     *
     * @param fallback whether a busy default port falls back to a free one (the demo's)
     */
    Map<String, Object> settings(boolean fallback) {
        if (port != null && (port < 0 || port > 65535)) {
            throw new IllegalArgumentException("--console-port must be 0..65535 (0 takes a free port), got " + port);
        }
        Map<String, Object> s = new HashMap<>();
        s.put(ConsoleConfig.HOST, host);
        if (port != null) {
            s.put(ConsoleConfig.PORT, port);
        }
        s.put(ConsoleConfig.PORT_FALLBACK, fallback && port == null);
        if (token != null) {
            s.put(ConsoleConfig.TOKEN, token);
        }
        return s;
    }

    /** Prints where the console is (and its token, when one was generated) to stderr. */
    void announce(String command, Console console) {
        System.err.println(command + ": console at " + console.url());
        if (console.access().generated()) {
            System.err.println(command + ": the console listens on " + host + " and requires the token above; "
                    + "give --console-token to choose one");
        }
    }
}
