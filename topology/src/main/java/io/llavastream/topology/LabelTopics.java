package io.llavastream.topology;

import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.StreamsConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates, at the topology's start, the label topics of {@code label.topics} and {@code label.default.topic} that
 * do not exist: partitioned and configured as {@link Topics#CAPTIONED_POSTS}, with the topology's replication
 * factor (the broker's default when -1). Kafka Streams creates only its internal topics, and a sink whose topic is
 * missing would stall the stream thread; the demo's topics already exist (they are in {@link Topics#ALL}).
 */
final class LabelTopics {
    private static final Logger LOG = LoggerFactory.getLogger(LabelTopics.class);
    private static final long TIMEOUT_MS = 60_000;

    private LabelTopics() {
    }

    static void ensure(Properties streamsProperties, PipelineConfig config) {
        Set<String> wanted = config.labelRouting().allTopics();
        if (wanted.isEmpty()) {
            return;
        }
        StreamsConfig c = new StreamsConfig(streamsProperties);
        try (Admin admin = Admin.create(c.getAdminConfigs(config.applicationId() + "-label-topics"))) {
            Set<String> existing = admin.listTopics().names().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            List<NewTopic> missing = new ArrayList<>();
            Optional<Short> rf = config.replicationFactor() < 0 ? Optional.empty()
                    : Optional.of(config.replicationFactor());
            for (String t : wanted) {
                if (!existing.contains(t)) {
                    missing.add(new NewTopic(t, Optional.of(Topics.CAPTIONED_POSTS.partitions()), rf)
                            .configs(Topics.CAPTIONED_POSTS.configs()));
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            LOG.info("creating the label topics {}", missing.stream().map(NewTopic::name).toList());
            try {
                admin.createTopics(missing).all().get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create the label topics " + wanted + " (label.topics, "
                    + "label.default.topic): " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating the label topics", e);
        }
    }
}
