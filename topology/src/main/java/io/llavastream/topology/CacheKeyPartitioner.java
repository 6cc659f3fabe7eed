package io.llavastream.topology;

import io.llavastream.rules.CacheKey;
import io.llavastream.schemas.ImageTask;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Puts an image task on the vision-requests partition that its cache key ({@link CacheKey}) gets on
 * vision-features, while the record stays keyed by task id: the vision worker that owns the partition holds the
 * image's cached features (it restores that partition of vision-features). Touches no topic itself.
 */
final class CacheKeyPartitioner implements StreamPartitioner<String, ImageTask> {
    private final String visionModelId;

    CacheKeyPartitioner(String visionModelId) {
        this.visionModelId = visionModelId;
    }

    @Override
    public Optional<Set<Integer>> partitions(String topic, String key, ImageTask task, int numPartitions) {
        return Optional.of(Set.of(partition(task, numPartitions)));
    }

    int partition(ImageTask task, int numPartitions) {
        return CacheKey.partition(CacheKey.of(task.getTask().getImageSha256(), visionModelId), numPartitions);
    }
}
