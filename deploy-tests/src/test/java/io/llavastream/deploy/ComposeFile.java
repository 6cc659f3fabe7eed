package io.llavastream.deploy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml as Compose reads it: SnakeYAML resolves the anchors and the {@code <<} merge keys the file
 * uses, so each service shows its final command, environment and device reservations (what
 * {@code docker-compose config} prints). Reads the services that reserve a GPU, the engine each service selects,
 * and the topics the one-shot {@code topics} service creates.
 */
final class ComposeFile {
    /** The service that creates the topics: a bash script of {@code create NAME PARTITIONS [--config k=v ...]} lines. */
    static final String TOPICS_SERVICE = "topics";

    /** A script variable: NAME="VALUE". */
    private static final Pattern ASSIGNMENT = Pattern.compile("^([A-Z_]+)=\"([^\"]*)\"$");

    private final Map<String, Map<String, Object>> services;

    private ComposeFile(Map<String, Map<String, Object>> services) {
        this.services = services;
    }

    @SuppressWarnings("unchecked")
    static ComposeFile parse(String yaml) {
        LoaderOptions options = new LoaderOptions();
        options.setMaxAliasesForCollections(200);
        Map<String, Object> root = new Yaml(options).load(yaml);
        return new ComposeFile((Map<String, Map<String, Object>>) root.get("services"));
    }

    /** Services that reserve a GPU: a device reservation with the gpu capability or the nvidia driver, or gpus:. */
    List<String> gpuServices() {
        List<String> out = new ArrayList<>();
        services.forEach((name, s) -> {
            Object devices = path(s, "deploy", "resources", "reservations", "devices");
            boolean reserved = devices instanceof List<?> list && list.stream().anyMatch(d -> d instanceof Map<?, ?> m
                    && (String.valueOf(m.get("capabilities")).contains("gpu") || "nvidia".equals(m.get("driver"))));
            if (reserved || s.containsKey("gpus") || "nvidia".equals(s.get("runtime"))) {
                out.add(name);
            }
        });
        return out;
    }

    /**
     * The engine a service's worker runs: the last {@code --engine} of its command, else its {@code LLAVA_ENGINE}
     * variable, else cpu (the worker's default).
     */
    String engine(String service) {
        Map<String, Object> s = services.get(service);
        String fromArgs = EngineArgs.engine(strings(s.get("command")));
        if (fromArgs != null) {
            return fromArgs;
        }
        String fromEnv = environment(s).get(EngineArgs.ENV);
        return fromEnv != null ? fromEnv : "cpu";
    }

    /** What the topics service creates; {@code $$NAME} (Compose's escaped {@code $NAME}) expands the script's variables. */
    List<DeployedTopic> topics() {
        List<String> command = strings(services.get(TOPICS_SERVICE).get("command"));
        String script = String.join("\n", command);
        Map<String, String> vars = new HashMap<>();
        List<DeployedTopic> out = new ArrayList<>();
        for (String raw : script.split("\n")) {
            String line = raw.strip();
            Matcher assignment = ASSIGNMENT.matcher(line);
            if (assignment.matches()) {
                vars.put(assignment.group(1), assignment.group(2));
            } else if (line.startsWith("create ")) {
                out.add(createLine(expand(line, vars)));
            }
        }
        return out;
    }

    private static DeployedTopic createLine(String line) {
        String[] w = line.split("\\s+");
        Map<String, String> configs = new HashMap<>();
        for (int i = 3; i < w.length; i++) {
            if (!w[i].equals("--config") || i + 1 >= w.length) {
                throw new IllegalArgumentException("unexpected '" + w[i] + "' in compose topics line: " + line);
            }
            String[] kv = w[++i].split("=", 2);
            configs.put(kv[0], kv[1]);
        }
        return new DeployedTopic(w[1], Integer.parseInt(w[2]), configs);
    }

    private static String expand(String line, Map<String, String> vars) {
        String out = line;
        for (Map.Entry<String, String> v : vars.entrySet()) {
            out = out.replace("$$" + v.getKey(), v.getValue()).replace("$" + v.getKey(), v.getValue());
        }
        if (out.contains("$")) {
            throw new IllegalArgumentException("unknown variable in compose topics line: " + line);
        }
        return out;
    }

    /** A service's environment, in either of Compose's forms (a map, or a list of NAME=VALUE). */
    private static Map<String, String> environment(Map<String, Object> service) {
        Map<String, String> env = new HashMap<>();
        Object e = service.get("environment");
        if (e instanceof Map<?, ?> m) {
            m.forEach((k, v) -> env.put(String.valueOf(k), String.valueOf(v)));
        } else if (e instanceof List<?> l) {
            l.forEach(x -> {
                String[] kv = String.valueOf(x).split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
            });
        }
        return env;
    }

    private static List<String> strings(Object value) {
        if (value == null) {
            return List.of();
        }
        if (value instanceof List<?> l) {
            return l.stream().map(String::valueOf).toList();
        }
        return List.of(String.valueOf(value).split("\\s+"));
    }

    private static Object path(Map<String, Object> m, String... keys) {
        Object cur = m;
        for (String k : keys) {
            if (!(cur instanceof Map<?, ?> map)) {
                return null;
            }
            cur = map.get(k);
        }
        return cur;
    }
}
