package io.llavastream.topics;

import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * Client settings for records up to {@link Topics#MAX_RECORD_BYTES} (a LLaVA-1.5-7B projected feature map in fp16
 * is 4.7 MB; Kafka's defaults stop at 1 MiB). The broker side is the topics' {@code max.message.bytes} and the
 * broker's {@code message.max.bytes}; these are the producer's and consumer's halves. The CLI's clients
 * ({@code io.llavastream.kafka.KafkaClientConfig}) and the stage workers ({@code io.llavastream.worker.WorkerConfig})
 * both put them under the user's own settings.
 */
public final class LargeRecords {
    /** Several of the largest records can wait in the producer's buffer while one is being sent. */
    public static final long PRODUCER_BUFFER_BYTES = 4L * Topics.MAX_RECORD_BYTES;
    /** A fetch of one partition returns at least one whole batch anyway; this lets it return a large one at once. */
    public static final int CONSUMER_PARTITION_FETCH_BYTES = Topics.MAX_RECORD_BYTES;
    /** Over all partitions of one fetch. */
    public static final int CONSUMER_FETCH_BYTES = 4 * Topics.MAX_RECORD_BYTES;
    /**
     * The producer's send and the consumer's receive socket buffer: -1, the operating system's own, which Linux
     * grows with the traffic (tcp_wmem / tcp_rmem, up to 4 and 32 MiB here) where Kafka's fixed 128 KiB / 64 KiB
     * defaults turn off that autotuning and cut a 4.7 MB record into dozens of writes and selector wake-ups.
     * Measured once, 2026-12-02, {@code bench hop}'s code on the 2-core development machine at a load average of
     * 17 (other builds running), so process CPU per record rather than wall time: in one run, on two embedded brokers,
     * three rounds after warm-up, Kafka's fixed buffers against -1 on the clients and on the broker
     * ({@code BrokerSettings}): 39 against 33 ms per 4.7 MB hop, 32 against 26 ms per raw record.
     */
    public static final int SOCKET_BUFFER_BYTES = -1;

    private LargeRecords() {
    }

    /**
     * {@code max.request.size} equals the brokers' limit, so that a record the broker would refuse fails in
     * {@code send} with a RecordTooLargeException that names its size; {@code buffer.memory} holds several; the
     * send buffer is the operating system's ({@link #SOCKET_BUFFER_BYTES}).
     */
    public static Map<String, Object> producer() {
        return Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES,
                ProducerConfig.BUFFER_MEMORY_CONFIG, PRODUCER_BUFFER_BYTES,
                CommonClientConfigs.SEND_BUFFER_CONFIG, SOCKET_BUFFER_BYTES);
    }

    /**
     * The consumer's fetch sizes are soft limits; raising them saves round trips on large records. The receive
     * buffer is the operating system's ({@link #SOCKET_BUFFER_BYTES}).
     */
    public static Map<String, Object> consumer() {
        return Map.of(
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, CONSUMER_PARTITION_FETCH_BYTES,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, CONSUMER_FETCH_BYTES,
                CommonClientConfigs.RECEIVE_BUFFER_CONFIG, SOCKET_BUFFER_BYTES);
    }
}
