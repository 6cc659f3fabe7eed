package io.llavastream.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a rendered chart (the objects of {@code helm template}) for what must match the code: the engine of every
 * container that requests a GPU, and the topics the topics Job creates.
 */
final class RenderedChart {
    static final String GPU_RESOURCE = "nvidia.com/gpu";

    private RenderedChart() {
    }

    /** "Kind/name container" for every container that requests or limits nvidia.com/gpu above 0. */
    static Map<String, JsonNode> gpuContainers(List<JsonNode> objects) {
        Map<String, JsonNode> out = new HashMap<>();
        for (JsonNode o : objects) {
            JsonNode pod = o.path("kind").asText().equals("Pod") ? o.path("spec") : o.path("spec").path("template")
                    .path("spec");
            for (JsonNode c : pod.path("containers")) {
                JsonNode r = c.path("resources");
                if (r.path("limits").path(GPU_RESOURCE).asInt(0) > 0 || r.path("requests").path(GPU_RESOURCE).asInt(0) > 0) {
                    out.put(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText() + " container "
                            + c.path("name").asText(), c);
                }
            }
        }
        return out;
    }

    /** The engine a container's worker runs: its last --engine argument, else LLAVA_ENGINE, else cpu. */
    static String engine(JsonNode container) {
        List<String> args = new ArrayList<>();
        container.path("command").forEach(a -> args.add(a.asText()));
        container.path("args").forEach(a -> args.add(a.asText()));
        String fromArgs = EngineArgs.engine(args);
        if (fromArgs != null) {
            return fromArgs;
        }
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(EngineArgs.ENV)) {
                return e.path("value").asText();
            }
        }
        return "cpu";
    }

    /** One line per GPU container whose engine is not a GPU engine (empty: all of them compute on their GPU). */
    static List<String> gpuContainersOnTheCpu(List<JsonNode> objects) {
        List<String> out = new ArrayList<>();
        gpuContainers(objects).forEach((name, c) -> {
            if (!EngineArgs.isGpu(engine(c))) {
                out.add(name + " requests " + GPU_RESOURCE + " but runs engine " + engine(c)
                        + "; expected one of " + EngineArgs.GPU_ENGINES);
            }
        });
        return out;
    }

    /** The topics the rendered topics Job creates: its kafka-topics.sh --create lines. */
    static List<DeployedTopic> topics(List<JsonNode> objects) {
        List<DeployedTopic> out = new ArrayList<>();
        for (JsonNode o : objects) {
            if (!o.path("kind").asText().equals("Job")) {
                continue;
            }
            for (JsonNode c : o.path("spec").path("template").path("spec").path("containers")) {
                for (JsonNode part : c.path("command")) {
                    part.asText().lines().filter(l -> l.contains("kafka-topics.sh") && l.contains("--create"))
                            .forEach(l -> out.add(createLine(l)));
                }
            }
        }
        return out;
    }

    private static DeployedTopic createLine(String line) {
        String[] w = line.strip().split("\\s+");
        String name = null;
        int partitions = -1;
        Map<String, String> configs = new HashMap<>();
        for (int i = 0; i < w.length - 1; i++) {
            String value = unquote(w[i + 1]);
            switch (w[i]) {
                case "--topic" -> name = value;
                case "--partitions" -> partitions = Integer.parseInt(value);
                case "--config" -> {
                    String[] kv = value.split("=", 2);
                    configs.put(kv[0], kv[1]);
                }
                default -> { }
            }
        }
        if (name == null || partitions < 0) {
            throw new IllegalArgumentException("no --topic or --partitions in the topics Job's line: " + line);
        }
        return new DeployedTopic(name, partitions, configs);
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
