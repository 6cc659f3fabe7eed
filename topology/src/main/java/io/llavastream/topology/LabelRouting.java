package io.llavastream.topology;

import io.llavastream.rules.LabelRules;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigException;

/**
 * Routing by zero-shot label ({@code label.topics}, {@code label.default.topic}): the topics a captioned post goes
 * to besides captioned-posts. A post goes to the topic of each label it carries ({@link CaptionedPost#getLabels()}),
 * each topic once even when two labels share it, and to the default topic when none of its labels is mapped.
 *
 * @param topics       label to topic, in configuration order
 * @param defaultTopic where posts without a mapped label go; empty for nowhere
 */
public record LabelRouting(Map<String, String> topics, String defaultTopic) {
    /** The demo's mapping: each of its four labels to its own {@code llava.labeled-posts.<label>} topic. */
    public static final String DEMO_MAPPING = Topics.DEMO_LABEL_TOPICS.entrySet().stream()
            .sorted(Map.Entry.comparingByKey()).map(e -> e.getKey() + "=" + e.getValue().name())
            .collect(Collectors.joining(","));
    /** Kafka's rule for topic names. */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public LabelRouting {
        topics = Map.copyOf(topics);
    }

    /** {@code label=topic} entries, checked: legal names, each label once. */
    public static Map<String, String> parse(List<String> entries) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(PipelineConfig.LABEL_TOPICS_CONFIG, entry, "expected label=topic");
            }
            String label = entry.substring(0, eq).trim();
            String topic = entry.substring(eq + 1).trim();
            try {
                LabelRules.checkName(label);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(PipelineConfig.LABEL_TOPICS_CONFIG, entry, e.getMessage());
            }
            if (!TOPIC.matcher(topic).matches()) {
                throw new ConfigException(PipelineConfig.LABEL_TOPICS_CONFIG, entry, "topic '" + topic + "' is not "
                        + "a legal Kafka topic name (1 to 249 letters, digits, '.', '_', '-')");
            }
            if (out.put(label, topic) != null) {
                throw new ConfigException(PipelineConfig.LABEL_TOPICS_CONFIG, entry, "label '" + label
                        + "' is mapped twice");
            }
        }
        return out;
    }

    public boolean enabled() {
        return !topics.isEmpty();
    }

    /** Every topic a post can be routed to: the mapped ones and the default, each once. */
    public Set<String> allTopics() {
        Set<String> all = new LinkedHashSet<>(topics.values());
        if (!defaultTopic.isEmpty()) {
            all.add(defaultTopic);
        }
        return all;
    }

    /** The topics {@code post} goes to besides captioned-posts, each once. */
    public List<String> route(CaptionedPost post) {
        Set<String> out = new LinkedHashSet<>();
        for (String label : post.getLabels()) {
            String t = topics.get(label);
            if (t != null) {
                out.add(t);
            }
        }
        if (out.isEmpty() && !defaultTopic.isEmpty()) {
            out.add(defaultTopic);
        }
        return new ArrayList<>(out);
    }
}
