package io.llavastream.deploy;

import io.llavastream.topics.Topic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic as a deployment file creates it: name, partitions and topic configs (cleanup.policy, max.message.bytes,
 * retention.ms, ...). Replication is left out: compose runs one broker (1), the chart a cluster (its value).
 */
record DeployedTopic(String name, int partitions, Map<String, String> configs) {
    DeployedTopic {
        configs = new TreeMap<>(configs);
    }

    static DeployedTopic of(Topic<?> t) {
        return new DeployedTopic(t.name(), t.partitions(), t.configs());
    }

    /** {@code topics} as deployed topics, sorted by name. */
    static List<DeployedTopic> of(Collection<? extends Topic<?>> topics) {
        return sorted(topics.stream().map(DeployedTopic::of).toList());
    }

    static List<DeployedTopic> sorted(Collection<DeployedTopic> topics) {
        List<DeployedTopic> out = new ArrayList<>(topics);
        out.sort(Comparator.comparing(DeployedTopic::name));
        return out;
    }

    /**
     * The differences between what {@code file} creates and what it should, one line each (empty when equal): a
     * missing topic, an extra one, or one whose partitions or configs differ.
     */
    static List<String> differences(String file, List<DeployedTopic> actual, List<DeployedTopic> expected) {
        Map<String, DeployedTopic> a = byName(actual);
        Map<String, DeployedTopic> e = byName(expected);
        List<String> out = new ArrayList<>();
        e.forEach((name, want) -> {
            DeployedTopic got = a.get(name);
            if (got == null) {
                out.add(file + " does not create " + want);
            } else if (!got.equals(want)) {
                out.add(file + " creates " + got + "; Topics has " + want);
            }
        });
        a.keySet().stream().filter(n -> !e.containsKey(n))
                .forEach(n -> out.add(file + " creates " + a.get(n) + ", which is not among the expected topics"));
        if (actual.size() != a.size()) {
            out.add(file + " creates a topic more than once: " + actual);
        }
        return out;
    }

    private static Map<String, DeployedTopic> byName(List<DeployedTopic> topics) {
        Map<String, DeployedTopic> m = new TreeMap<>();
        topics.forEach(t -> m.put(t.name(), t));
        return m;
    }
}
