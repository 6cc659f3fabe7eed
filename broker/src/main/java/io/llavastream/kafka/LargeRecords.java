package io.llavastream.kafka;

import io.llavastream.topics.Topics;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Client settings for records up to {@link Topics#MAX_RECORD_BYTES} (a LLaVA-1.5-7B projected feature map in fp16
 * is 4.7 MB; Kafka's defaults stop at 1 MiB). The broker side is the topics' {@code max.message.bytes} and the
 * broker's {@code message.max.bytes}; these are the producer's and consumer's halves.
 */
public final class LargeRecords {
    /** Several of the largest records can wait in the producer's buffer while one is being sent. */
    public static final long PRODUCER_BUFFER_BYTES = 4L * Topics.MAX_RECORD_BYTES;
    /** A fetch of one partition returns at least one whole batch anyway; this lets it return a large one at once. */
    public static final int CONSUMER_PARTITION_FETCH_BYTES = Topics.MAX_RECORD_BYTES;
    /** Over all partitions of one fetch. */
    public static final int CONSUMER_FETCH_BYTES = 4 * Topics.MAX_RECORD_BYTES;

    private LargeRecords() {
    }

    /**
     * {@code max.request.size} equals the brokers' limit, so that a record the broker would refuse fails in
     * {@code send} with a RecordTooLargeException that names its size; {@code buffer.memory} holds several.
     */
    public static Map<String, Object> producer() {
        return Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES,
                ProducerConfig.BUFFER_MEMORY_CONFIG, PRODUCER_BUFFER_BYTES);
    }

    /** The consumer's fetch sizes are soft limits; raising them saves round trips on large records. */
    public static Map<String, Object> consumer() {
        return Map.of(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, CONSUMER_PARTITION_FETCH_BYTES,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, CONSUMER_FETCH_BYTES);
    }
}
