package io.llavastream.pipeline;

import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.Post;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
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

/**
 * The pipeline's user side: puts posts on {@link Topics#POSTS} (remembering when) and reads a topic back
 * read_committed, e.g. {@link Topics#CAPTIONED_POSTS}.
 */
public final class PipelineClient implements AutoCloseable {
    private final Map<String, Object> common;
    private final SchemaRegistry registry;
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde<Post> posts;
    private final Map<String, Long> sentAtNanos = new ConcurrentHashMap<>();

    public PipelineClient(Map<String, Object> kafkaCommon, SchemaRegistry registry) {
        this.common = kafkaCommon;
        this.registry = registry;
        Map<String, Object> p = new java.util.HashMap<>(kafkaCommon);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.posts = Topics.POSTS.valueSerde(registry);
    }

    public void send(Post post) {
        sentAtNanos.put(post.getId(), System.nanoTime());
        producer.send(new ProducerRecord<>(Topics.POSTS.name(), post.getId(), posts.serialize(Topics.POSTS.name(),
                post)));
    }

    /** Sends raw bytes (for bad-input tests). */
    public void sendRaw(String key, byte[] value) {
        producer.send(new ProducerRecord<>(Topics.POSTS.name(), key, value));
    }

    public void flush() {
        producer.flush();
    }

    /** Nanos since {@code postId} was sent, or -1 if it was not sent by this client. */
    public long ageNanos(String postId) {
        Long t = sentAtNanos.get(postId);
        return t == null ? -1 : System.nanoTime() - t;
    }

    /**
     * Reads {@code topic} from its beginning, read_committed, handing each value to {@code each}, until {@code
     * count} records arrived or {@code timeout} passed; returns how many arrived.
     */
    public <V extends SpecificRecord> int read(Topic<V> topic, int count, Duration timeout,
                                               Consumer<ConsumerRecord<String, V>> each) {
        int[] seen = {0};
        read(topic, timeout, r -> {
            each.accept(r);
            seen[0]++;
        }, () -> seen[0] >= count);
        return seen[0];
    }

    /** Reads {@code topic} from its beginning, read_committed, until {@code done} says so or {@code timeout}. */
    public <V extends SpecificRecord> void read(Topic<V> topic, Duration timeout,
                                                Consumer<ConsumerRecord<String, V>> each,
                                                java.util.function.BooleanSupplier done) {
        AvroSerde<V> serde = topic.valueSerde(registry);
        Map<String, Object> c = new java.util.HashMap<>(common);
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "llava-reader-" + UUID.randomUUID());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES);
        long deadline = System.nanoTime() + timeout.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic.name()));
            while (!done.getAsBoolean() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    V v = serde.deserialize(r.topic(), r.value());
                    each.accept(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), v));
                }
            }
        }
    }

    /** Every captioned post that arrives within {@code timeout}, up to {@code count}. */
    public List<CaptionedPost> captioned(int count, Duration timeout, Consumer<CaptionedPost> each) {
        List<CaptionedPost> out = new ArrayList<>();
        read(Topics.CAPTIONED_POSTS, count, timeout, r -> {
            out.add(r.value());
            each.accept(r.value());
        });
        return out;
    }

    @Override
    public void close() {
        producer.close();
    }
}
