package io.llavastream.console;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.Post;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows {@link Topics#POSTS} (images into the {@link ImageCache}, a {@code post} event),
 * {@link Topics#ANSWER_TOKENS} (folded by {@link TokenPreviews}, a {@code token} event), {@link Topics#ANSWERS}
 * (stage latencies) and {@link Topics#CAPTIONED_POSTS} (a {@code captioned} event), read_committed, on assigned
 * partitions (no group, nothing committed), starting {@code recent} records before each partition's end. Writes
 * nothing to Kafka. A record that is not what its topic carries (not Avro, an unknown schema, a tombstone, an image
 * that is not one) is skipped and counted per topic; the feed goes on.
 */
final class ConsoleFeed implements Runnable, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsoleFeed.class);
    private static final List<Topic<?>> TOPICS = List.of(Topics.POSTS, Topics.ANSWER_TOKENS, Topics.ANSWERS,
            Topics.CAPTIONED_POSTS);

    private final KafkaConsumer<String, byte[]> consumer;
    private final AvroSerde<Post> posts;
    private final AvroSerde<AnswerToken> tokens;
    private final AvroSerde<Answer> answers;
    private final AvroSerde<CaptionedPost> captioned;
    private final ImageCache images;
    private final TokenPreviews previews;
    private final Latencies latencies;
    private final Backlog backlog;
    private final EventHub hub;
    private final Map<String, AtomicLong> skipped = new ConcurrentHashMap<>();
    private final AtomicLong read = new AtomicLong();
    private volatile boolean stop;

    ConsoleFeed(Map<String, Object> consumerSettings, SchemaRegistry registry, int recent, ImageCache images,
                TokenPreviews previews, Latencies latencies, Backlog backlog, EventHub hub) {
        Map<String, Object> c = new HashMap<>(consumerSettings);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES);
        this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        this.posts = Topics.POSTS.valueSerde(registry);
        this.tokens = Topics.ANSWER_TOKENS.valueSerde(registry);
        this.answers = Topics.ANSWERS.valueSerde(registry);
        this.captioned = Topics.CAPTIONED_POSTS.valueSerde(registry);
        this.images = images;
        this.previews = previews;
        this.latencies = latencies;
        this.backlog = backlog;
        this.hub = hub;
        assign(recent);
    }

    /** Assigns every partition of the topics that exist, each positioned {@code recent} records before its end. */
    private void assign(int recent) {
        List<TopicPartition> parts = new ArrayList<>();
        for (Topic<?> t : TOPICS) {
            List<PartitionInfo> infos = consumer.partitionsFor(t.name(), Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                LOG.warn("topic {} does not exist; the console does not show what it would carry", t.name());
                continue;
            }
            infos.forEach(p -> parts.add(new TopicPartition(p.topic(), p.partition())));
        }
        consumer.assign(parts);
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts);
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        for (TopicPartition tp : parts) {
            consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - recent));
        }
    }

    @Override
    public void run() {
        try {
            while (!stop) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    handle(r);
                }
            }
        } catch (WakeupException e) {
            // close() woke the poll
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    void handle(ConsumerRecord<String, byte[]> r) {
        read.incrementAndGet();
        try {
            if (r.value() == null) {
                throw new IllegalArgumentException("a tombstone (null value) where a record was expected");
            }
            String topic = r.topic();
            if (topic.equals(Topics.POSTS.name())) {
                onPost(posts.deserialize(topic, r.value()));
            } else if (topic.equals(Topics.ANSWER_TOKENS.name())) {
                onToken(tokens.deserialize(topic, r.value()));
            } else if (topic.equals(Topics.ANSWERS.name())) {
                latencies.add(answers.deserialize(topic, r.value()));
            } else if (topic.equals(Topics.CAPTIONED_POSTS.name())) {
                onCaptioned(captioned.deserialize(topic, r.value()));
            }
        } catch (RuntimeException e) {
            skipped.computeIfAbsent(r.topic(), t -> new AtomicLong()).incrementAndGet();
            LOG.warn("skipped {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
        }
    }

    private void onPost(Post p) {
        List<String> shas = ConsoleEvents.shas(p);
        for (int i = 0; i < shas.size(); i++) {
            var img = p.getImages().get(i);
            byte[] data = new byte[img.getData().remaining()];
            img.getData().duplicate().get(data);
            images.put(shas.get(i), img.getContentType(), data);
        }
        var event = ConsoleEvents.post(p, shas);
        backlog.post(p.getId(), event);
        hub.publish("post", event);
    }

    private void onToken(AnswerToken t) {
        previews.apply(t).ifPresent(p -> {
            var event = ConsoleEvents.token(p);
            backlog.token(p.postId(), p.taskId(), event);
            hub.publish("token", event);
        });
    }

    private void onCaptioned(CaptionedPost p) {
        latencies.add(p);
        var event = ConsoleEvents.captioned(p);
        backlog.captioned(p.getPostId(), event);
        hub.publish("captioned", event);
    }

    /** Records skipped per topic because they were not what the topic carries. */
    Map<String, Long> skipped() {
        Map<String, Long> out = new HashMap<>();
        skipped.forEach((t, n) -> out.put(t, n.get()));
        return out;
    }

    long read() {
        return read.get();
    }

    /**
     * Binds this feed's Kafka consumer meters and {@code llava.console.records.skipped} (per topic) and
     * {@code llava.console.records.read} to {@code registry}.
     */
    void bindTo(io.micrometer.core.instrument.MeterRegistry registry) {
        new io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics(consumer).bindTo(registry);
        for (Topic<?> t : TOPICS) {
            AtomicLong n = skipped.computeIfAbsent(t.name(), k -> new AtomicLong());
            io.micrometer.core.instrument.FunctionCounter.builder("llava.console.records.skipped", n, AtomicLong::get)
                    .description("records the console skipped because they are not what their topic carries")
                    .tag("topic", t.name()).register(registry);
        }
        io.micrometer.core.instrument.FunctionCounter.builder("llava.console.records.read", read, AtomicLong::get)
                .description("records the console read from the topics it follows").register(registry);
    }

    /** Stops {@link #run} (which then closes the consumer); a feed that never ran closes when run after this. */
    @Override
    public void close() {
        stop = true;
        consumer.wakeup();
    }
}
