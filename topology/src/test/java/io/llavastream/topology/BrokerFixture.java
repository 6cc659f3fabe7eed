package io.llavastream.topology;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.schemas.Post;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A real broker, a registry, and the topology's topics written and read back (read_committed) by a test. */
final class BrokerFixture implements AutoCloseable {
    final EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
    final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    private final KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
            ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES), new StringSerializer(),
            new ByteArraySerializer());

    /** Topology settings for this broker: the given ones over a vision model id, replication 1 and a state dir. */
    static PipelineConfig config(Path stateDir, Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, PipelineDriver.MODEL,
                PipelineConfig.REPLICATION_FACTOR_CONFIG, "1", PipelineConfig.STATE_DIR_CONFIG, stateDir.toString()));
        all.putAll(settings);
        return new PipelineConfig(all);
    }

    String bootstrapServers() {
        return broker.bootstrapServers();
    }

    /** The post's bytes, written to partition 0 of the posts topic keyed by its id. */
    byte[] send(Post post) {
        byte[] value = new AvroSerde<>(Post.class, registry).serialize(Topics.POSTS.name(), post);
        producer.send(new ProducerRecord<>(Topics.POSTS.name(), 0, post.getId(), value));
        producer.flush();
        return value;
    }

    <V extends SpecificRecord> void send(Topic<V> topic, String key, V value) {
        producer.send(new ProducerRecord<>(topic.name(), key, topic.valueSerde(registry).serialize(topic.name(), value)));
        producer.flush();
    }

    /** Reads {@code topic} from the start, read_committed, until {@code done} holds for what arrived or time is up. */
    <V extends SpecificRecord> List<ConsumerRecord<String, V>> readUntil(Topic<V> topic, Duration timeout,
                                                                         Predicate<List<ConsumerRecord<String, V>>> done) {
        AvroSerde<V> serde = topic.valueSerde(registry);
        List<ConsumerRecord<String, V>> out = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(out) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(),
                            serde.deserialize(r.topic(), r.value())));
                }
            }
        }
        return out;
    }

    @Override
    public void close() {
        producer.close();
        broker.close();
    }
}
