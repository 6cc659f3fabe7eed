package io.llavastream.worker;

import io.llavastream.rules.CacheKey;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.stage.EncoderCache;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fills the vision worker's {@link EncoderCache} from the compacted {@link Topics#VISION_FEATURES} topic, partition
 * by partition, as the worker gains vision-requests partitions. The topology puts each vision request on the
 * partition its image's cache key gets ({@link CacheKey#partition}), the key of vision-features, and both topics
 * have the same partition count, so the features of every image on vision-requests partition p are on
 * vision-features partition p: a worker restores only the partitions it owns
 * (read_committed, from the beginning to the end offset at the time), and its own committed outputs land on those
 * same partitions, so it never has to read the topic while it runs. When a partition is revoked its entries are
 * dropped (its new owner restores them). Should the two topics' partition counts differ on a cluster, co-partitioning
 * is lost: the restorer then restores every partition of vision-features (correct, with more memory) and says so.
 *
 * <p>A record the cache cannot use is skipped with a warning and counted, never dead-lettered and never fatal: the
 * restorer reads the topic again at every assignment, so a dead letter would repeat, and a skipped entry only costs
 * a miss (the image is encoded again and its new features replace the entry). A tombstone deletes its entry;
 * features of another vision model, or filed under a key that is not their own cache key, are not used. A registry
 * that cannot be reached, or a restore that takes longer than its timeout, ends the restore early with a warning:
 * the entries not read are misses.
 *
 * <p>Reads {@link Topics#VISION_FEATURES} with its own consumer (assigned partitions, no consumer group, no
 * offsets committed); writes nothing.
 */
final class VisionCacheRestorer implements PartitionHook {
    private static final Logger LOG = LoggerFactory.getLogger(VisionCacheRestorer.class);
    private static final Duration POLL = Duration.ofMillis(200);

    private final Consumer<byte[], byte[]> consumer;
    private final AvroSerde<VisionFeatures> serde;
    private final EncoderCache cache;
    private final String visionModelId;
    private final Duration timeout;
    private final Set<Integer> owned = new HashSet<>();
    private int featurePartitions = -1;
    private boolean coPartitioned;
    private long restored;
    private long deleted;
    private long skipped;

    /**
     * @param consumer a consumer of its own (read_committed, no group), closed with this restorer
     * @param timeout  longest one restore may take, from its first fetch
     */
    VisionCacheRestorer(Consumer<byte[], byte[]> consumer, SchemaRegistry registry, EncoderCache cache,
                        String visionModelId, Duration timeout) {
        this.consumer = consumer;
        this.serde = Topics.VISION_FEATURES.valueSerde(registry);
        this.cache = cache;
        this.visionModelId = visionModelId;
        this.timeout = timeout;
    }

    @Override
    public void assigned(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        try {
            List<TopicPartition> features = featurePartitions(partitions);
            partitions.forEach(tp -> owned.add(tp.partition()));
            restore(features);
        } catch (WakeupException | InterruptException e) {
            throw e;
        } catch (KafkaException e) {
            LOG.warn("vision cache: cannot restore from {} ({}); its entries are misses until computed again",
                    Topics.VISION_FEATURES.name(), e.toString());
        } finally {
            consumer.assign(List.of());
        }
    }

    @Override
    public void revoked(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> owned.remove(tp.partition()));
        if (coPartitioned) {
            cache.removeIf(key -> !owned.contains(partitionOf(key)));
        }
    }

    /** The vision-features partitions that hold the features of {@code requests}' images. */
    private List<TopicPartition> featurePartitions(Collection<TopicPartition> requests) {
        if (featurePartitions < 0) {
            List<PartitionInfo> f = consumer.partitionsFor(Topics.VISION_FEATURES.name(), timeout);
            List<PartitionInfo> r = consumer.partitionsFor(Topics.VISION_REQUESTS.name(), timeout);
            featurePartitions = f.size();
            coPartitioned = f.size() == r.size();
            if (!coPartitioned) {
                LOG.warn("vision cache: {} has {} partitions and {} has {}; they must match for each worker to keep "
                        + "only its own images' features, so every partition is restored", Topics.VISION_FEATURES
                        .name(), f.size(), Topics.VISION_REQUESTS.name(), r.size());
            }
        }
        if (!coPartitioned) {
            return java.util.stream.IntStream.range(0, featurePartitions)
                    .mapToObj(p -> new TopicPartition(Topics.VISION_FEATURES.name(), p)).toList();
        }
        return requests.stream().map(tp -> new TopicPartition(Topics.VISION_FEATURES.name(), tp.partition())).toList();
    }

    /** Reads {@code partitions} from the beginning up to their end offsets now, or until the timeout. */
    private void restore(List<TopicPartition> partitions) {
        long t0 = System.nanoTime();
        long before = restored;
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
        long deadline = t0 + timeout.toNanos();
        while (!reached(end)) {
            if (System.nanoTime() > deadline) {
                LOG.warn("vision cache: restoring {} took over {}; the entries not read yet are misses",
                        partitions, timeout);
                return;
            }
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                if (!apply(r)) {
                    return;
                }
            }
        }
        LOG.info("vision cache: restored {} entries from {} in {} ms; {} entries, {} of {} bytes held",
                restored - before, partitions, (System.nanoTime() - t0) / 1_000_000, cache.size(), cache.bytes(),
                cache.maxBytes());
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), timeout) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Applies one record to the cache; false when the restore must stop (the registry cannot be reached). */
    private boolean apply(ConsumerRecord<byte[], byte[]> r) {
        String where = r.topic() + "-" + r.partition() + "@" + r.offset();
        if (r.key() == null) {
            skip(where, "no key; vision-features is keyed by <sha256>|<vision model id>");
            return true;
        }
        String key = new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) {
            cache.remove(key);  // a tombstone: the compacted topic's delete
            deleted++;
            return true;
        }
        VisionFeatures f;
        try {
            f = serde.deserialize(r.topic(), r.value());
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                LOG.warn("vision cache: the schema registry cannot be reached ({}); restore stopped at {}",
                        e.getMessage(), where);
                return false;
            }
            skip(where, e.reason() + ": " + e.getMessage());
            return true;
        } catch (RuntimeException e) {  // whatever Avro refuses is not a features record
            skip(where, "NOT_AVRO: cannot decode " + r.value().length + " bytes as VisionFeatures: " + e);
            return true;
        }
        if (!visionModelId.equals(f.getVisionModelId())) {
            return true;  // another vision tower's features: never a hit for this one
        }
        if (!key.equals(CacheKey.of(f.getImageSha256(), visionModelId))) {
            skip(where, "key " + key + " is not the cache key of the features it holds, "
                    + CacheKey.of(f.getImageSha256(), visionModelId));
            return true;
        }
        cache.put(key, f);
        restored++;
        return true;
    }

    private void skip(String where, String why) {
        skipped++;
        LOG.warn("vision cache: skipping {}: {}", where, why);
    }

    /** The partition the producers' default partitioner gives {@code cacheKey} on vision-features. */
    private int partitionOf(String cacheKey) {
        return CacheKey.partition(cacheKey, featurePartitions);
    }

    long restored() {
        return restored;
    }

    long deleted() {
        return deleted;
    }

    long skipped() {
        return skipped;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
