package io.llavastream.chaos;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

/**
 * What the broker knows about a consumer group and its transactions, through the Admin API: committed offsets,
 * log-end offsets, which member holds which partitions, and open transactions. Each call waits at most 15 s.
 */
public final class GroupProbe implements AutoCloseable {
    private static final long TIMEOUT_S = 15;
    private final Admin admin;

    public GroupProbe(String bootstrapServers) {
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                15_000));
    }

    /** The group's committed offset per partition (partitions it never committed are absent). */
    public Map<TopicPartition, Long> committed(String group) {
        Map<TopicPartition, OffsetAndMetadata> m = get(admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata());
        Map<TopicPartition, Long> out = new HashMap<>();
        m.forEach((tp, o) -> {
            if (o != null) {
                out.put(tp, o.offset());
            }
        });
        return out;
    }

    /** The partitions held by the member that is the process with {@code instanceId} ({@link Groups#isMember}). */
    public Set<TopicPartition> assignment(String group, String instanceId) {
        Set<TopicPartition> out = new HashSet<>();
        for (MemberDescription m : members(group)) {
            if (Groups.isMember(m, instanceId)) {
                out.addAll(m.assignment().topicPartitions());
            }
        }
        return out;
    }

    public Collection<MemberDescription> members(String group) {
        ConsumerGroupDescription d = get(admin.describeConsumerGroups(List.of(group)).describedGroups().get(group));
        return d.members();
    }

    /** The log-end offset of each partition. */
    public Map<TopicPartition, Long> logEnd(Collection<TopicPartition> partitions) {
        Map<TopicPartition, OffsetSpec> query = new HashMap<>();
        partitions.forEach(tp -> query.put(tp, OffsetSpec.latest()));
        Map<TopicPartition, Long> out = new HashMap<>();
        if (!query.isEmpty()) {
            get(admin.listOffsets(query).all()).forEach((tp, info) -> out.put(tp, info.offset()));
        }
        return out;
    }

    /** Every partition of {@code topic}. */
    public List<TopicPartition> partitions(String topic) {
        var d = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
        List<TopicPartition> out = new ArrayList<>();
        d.partitions().forEach(p -> out.add(new TopicPartition(topic, p.partition())));
        return out;
    }

    /** The transactions whose transactional id {@code matches}, described (state, start time, partitions). */
    public Map<String, TransactionDescription> transactions(Predicate<String> matches) {
        List<String> ids = new ArrayList<>();
        for (TransactionListing t : get(admin.listTransactions().all())) {
            if (matches.test(t.transactionalId())) {
                ids.add(t.transactionalId());
            }
        }
        return ids.isEmpty() ? Map.of() : get(admin.describeTransactions(ids).all());
    }

    /** True when the broker answers a metadata request. */
    public boolean brokerUp() {
        try {
            admin.listTopics().names().get(5, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }

    private static <T> T get(KafkaFuture<T> f) {
        try {
            return f.get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("admin call failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("admin call did not answer within " + TIMEOUT_S + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
