package io.llavastream.status;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * A Kafka client interceptor ({@code interceptor.classes}) that remembers, per partition, the offset after the last
 * record a poll of this process returned: the consumer's position as the application has seen it. Compared with
 * the group's committed offsets, it is the work read but not yet committed. It changes nothing it sees. It is also
 * a producer interceptor that does nothing, because a stage worker passes its client settings to its consumer and
 * its producer alike. One table per JVM: a status file describes one process.
 */
public final class ConsumedPositions implements ConsumerInterceptor<Object, Object>, ProducerInterceptor<Object, Object> {
    private static final Map<TopicPartition, Long> POSITIONS = new ConcurrentHashMap<>();

    /** Per "topic-partition", the offset after the last record returned by a poll in this JVM. */
    public static Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        POSITIONS.forEach((tp, offset) -> out.put(tp.toString(), offset));
        return out;
    }

    @Override
    public ConsumerRecords<Object, Object> onConsume(ConsumerRecords<Object, Object> records) {
        for (TopicPartition tp : records.partitions()) {
            var list = records.records(tp);
            ConsumerRecord<Object, Object> last = list.get(list.size() - 1);
            POSITIONS.merge(tp, last.offset() + 1, Math::max);
        }
        return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        // transactional commits do not pass here; the reader takes committed offsets from the group
    }

    @Override
    public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
        return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
        // nothing to remember on the producer side
    }

    @Override
    public void close() {
        // the table outlives a client: a worker may rebuild its clients
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // no settings
    }
}
