package io.llavastream.serde;

import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Checks that {@link Topics#SCHEMAS} can hold the registry's store before {@link KafkaSchemaRegistry} uses it. The
 * topic must exist (the broker creates it; the registry does not, so a missing topic is not silently created with
 * the broker's defaults), have one partition (one order of registrations), and be compacted (with the delete
 * policy, schemas would vanish after the retention time).
 */
final class SchemasTopicCheck {
    private SchemasTopicCheck() {
    }

    static void check(Map<String, Object> clientConfig, Duration timeout) {
        String name = Topics.SCHEMAS.name();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, name);
        Map<String, Object> c = new java.util.HashMap<>(clientConfig);
        c.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        c.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        try (Admin admin = Admin.create(c)) {
            TopicDescription topic = admin.describeTopics(List.of(name)).allTopicNames()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(name);
            Config config = admin.describeConfigs(List.of(resource)).all()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(resource);
            String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
            if (topic.partitions().size() != 1 || !policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                throw new IllegalStateException("topic " + name + " has " + topic.partitions().size()
                        + " partitions and cleanup.policy=" + policy + "; the schema registry needs 1 partition and "
                        + "cleanup.policy=compact (" + Topics.SCHEMAS.configs() + ")");
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                throw new IllegalStateException("topic " + name + " does not exist at "
                        + clientConfig.get("bootstrap.servers") + "; the embedded broker creates it with the other "
                        + "topics (1 partition, cleanup.policy=compact)", e.getCause());
            }
            throw unavailable(clientConfig, e.getCause());
        } catch (TimeoutException e) {
            throw unavailable(clientConfig, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(clientConfig, e);
        }
    }

    private static SerdeException unavailable(Map<String, Object> clientConfig, Throwable cause) {
        return new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "cannot describe topic "
                + Topics.SCHEMAS.name() + " at " + clientConfig.get("bootstrap.servers") + ": " + cause, cause);
    }
}
