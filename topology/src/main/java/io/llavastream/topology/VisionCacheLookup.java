package io.llavastream.topology;

import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.serde.SerdeException;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.TimestampedKeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Looks an image task (keyed by cache key) up in the {@value TopologyNames#VISION_CACHE_STORE} store, the table over
 * {@link io.llavastream.topics.Topics#VISION_FEATURES}, and passes on the task with the features it found, or none.
 * An entry that does not decode is a miss, not an error: Kafka Streams restores the table from its source topic
 * byte for byte, without the deserialization handler that dead-letters a bad record when it is first read, so a
 * hostile record can sit in the store; a miss sends the image to the vision stage, whose features then replace the
 * entry. A registry that cannot be reached is still an error (transient: the thread retries). Touches no topic.
 */
final class VisionCacheLookup implements FixedKeyProcessor<String, ImageTask, CacheLookup> {
    private static final Logger LOG = LoggerFactory.getLogger(VisionCacheLookup.class);
    private FixedKeyProcessorContext<String, CacheLookup> context;
    private TimestampedKeyValueStore<String, VisionFeatures> cache;

    @Override
    public void init(FixedKeyProcessorContext<String, CacheLookup> context) {
        this.context = context;
        this.cache = context.getStateStore(TopologyNames.VISION_CACHE_STORE);
    }

    @Override
    public void process(FixedKeyRecord<String, ImageTask> record) {
        context.forward(record.withValue(new CacheLookup(record.value(), lookup(record.key()))));
    }

    private VisionFeatures lookup(String cacheKey) {
        try {
            ValueAndTimestamp<VisionFeatures> entry = cache.get(cacheKey);
            return entry == null ? null : entry.value();
        } catch (SerdeException e) {
            if (Failures.isTransient(e)) {
                throw e;
            }
            LOG.warn("vision cache entry {} does not decode ({}: {}); treated as a miss", cacheKey, e.reason(),
                    e.getMessage());
            return null;
        }
    }
}
