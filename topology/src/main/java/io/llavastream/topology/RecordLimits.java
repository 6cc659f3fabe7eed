package io.llavastream.topology;

import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The largest value the topology writes to each topic. Under exactly_once_v2 a record the producer or the broker
 * refuses as too large aborts the whole transaction, and the same input would produce it again after the retry,
 * so every value is measured when it is serialized, before it reaches the producer ({@link LimitedSerde}), and one
 * that is over its topic's limit is dead-lettered there (RECORD_TOO_LARGE) with the input that produced it.
 * Touches no topic.
 */
final class RecordLimits {
    /** Kafka's default {@code message.max.bytes}: what a broker allows on a topic that sets no max.message.bytes. */
    static final int KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
    /** Room kept for the key, the headers and the record batch's own overhead. */
    static final int OVERHEAD_BYTES = 16 * 1024;
    /** Internal topics (repartition, changelog) get {@link Topics#MAX_RECORD_BYTES} from {@link StreamsProperties}. */
    static final int INTERNAL_VALUE_BYTES = Topics.MAX_RECORD_BYTES - OVERHEAD_BYTES;

    private RecordLimits() {
    }

    /**
     * The topic's max.message.bytes as declared in {@link Topics} (Kafka's default when it declares none, even if
     * the cluster at hand allows more: the limit does not depend on where the pipeline runs), less
     * {@link #OVERHEAD_BYTES}.
     */
    static int maxValueBytes(Topic<?> topic) {
        String declared = topic.configs().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        int max = declared == null ? KAFKA_DEFAULT_MAX_MESSAGE_BYTES : Integer.parseInt(declared);
        return max - OVERHEAD_BYTES;
    }
}
