package io.llavastream.topology;

import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Counts vision cache hits and misses into {@link VisionCacheMetrics} and passes each lookup on unchanged; it
 * touches no topic.
 */
final class CacheLookupCounter implements FixedKeyProcessor<String, CacheLookup, CacheLookup> {
    private FixedKeyProcessorContext<String, CacheLookup> context;
    private VisionCacheMetrics.Sensors sensors;

    @Override
    public void init(FixedKeyProcessorContext<String, CacheLookup> context) {
        this.context = context;
        this.sensors = VisionCacheMetrics.register(context.metrics());
    }

    @Override
    public void process(FixedKeyRecord<String, CacheLookup> record) {
        sensors.record(record.value().isHit());
        context.forward(record);
    }
}
