package io.llavastream.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The page's files, read from the classpath: {@code /} is the console's index.html, {@code /static/NAME} its own
 * files (this package's {@code static/} resources) and {@code /vendor/uplot/NAME} uPlot's {@code dist/} files (and
 * its LICENSE) from the uPlot webjar, whose version is read from the webjar's own pom.properties. Only plain file
 * names are served (no directories, no "..").
 */
final class StaticFiles {
    /** A file to send. */
    record File(String contentType, byte[] bytes) {
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,100}");
    private static final String OWN = "io/llavastream/console/static/";
    private static final String UPLOT_POM = "META-INF/maven/org.webjars.npm/uplot/pom.properties";
    private final Map<String, Optional<File>> cache = new ConcurrentHashMap<>();
    private final String uplotRoot;

    StaticFiles() {
        this.uplotRoot = "META-INF/resources/webjars/uplot/" + uplotVersion() + "/";
    }

    private static String uplotVersion() {
        try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(UPLOT_POM)) {
            if (in == null) {
                throw new IllegalStateException("the uPlot webjar is not on the classpath (" + UPLOT_POM + ")");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + UPLOT_POM, e);
        }
    }

    /** The file at URL path {@code path}, or empty. */
    Optional<File> find(String path) {
        if (path.equals("/") || path.equals("/index.html")) {
            return load(OWN + "index.html");
        }
        if (path.startsWith("/static/") && NAME.matcher(path.substring(8)).matches()) {
            return load(OWN + path.substring(8));
        }
        if (path.startsWith("/vendor/uplot/")) {
            String name = path.substring("/vendor/uplot/".length());
            if (name.equals("LICENSE")) {
                return load(uplotRoot + "LICENSE");
            }
            return NAME.matcher(name).matches() ? load(uplotRoot + "dist/" + name) : Optional.empty();
        }
        return Optional.empty();
    }

    private Optional<File> load(String resource) {
        return cache.computeIfAbsent(resource, r -> {
            try (InputStream in = StaticFiles.class.getClassLoader().getResourceAsStream(r)) {
                return in == null ? Optional.empty() : Optional.of(new File(type(r), in.readAllBytes()));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read resource " + r, e);
            }
        });
    }

    private static String type(String name) {
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        if (name.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (name.endsWith(".png")) {
            return "image/png";
        }
        if (name.endsWith(".svg")) {
            return "image/svg+xml";
        }
        return "text/plain; charset=utf-8";
    }
}
