package io.llavastream.chaos;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What came out, counted as a read_committed reader sees it: every captioned post (by post id), every answer (by
 * task id) and every dead letter of {@link Topics#CAPTIONED_POSTS}, {@link Topics#ANSWERS} and
 * {@link Topics#DEAD_LETTERS}, read from the beginning with assign + seek (no group, nothing committed). Records
 * that do not deserialize (the hostile ones among them) are counted, not fatal.
 */
final class Ledger implements AutoCloseable {
    /** A dead letter as read: where the refused record was, its key (as text, cut), reason, stage, message. */
    record DeadLetterSeen(String topic, int partition, long offset, String key, String errorType, String stage,
                          String message) {
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroSerde<CaptionedPost> captionedSerde;
    private final AvroSerde<Answer> answerSerde;
    private final AvroSerde<DeadLetter> deadLetterSerde;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final Map<String, Integer> captioned = new ConcurrentHashMap<>();
    private final Map<String, Integer> failedImages = new ConcurrentHashMap<>();
    private final Map<String, Integer> answers = new ConcurrentHashMap<>();
    private final List<DeadLetterSeen> deadLetters = new ArrayList<>();
    private final Map<String, Integer> unreadable = new ConcurrentHashMap<>();
    private final Map<String, String> firstUnreadable = new ConcurrentHashMap<>();

    Ledger(String bootstrapServers, SchemaRegistry registry) {
        this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false, ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, Topics.MAX_RECORD_BYTES + 1024 * 1024,
                ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 4 * Topics.MAX_RECORD_BYTES),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.captionedSerde = Topics.CAPTIONED_POSTS.valueSerde(registry);
        this.answerSerde = Topics.ANSWERS.valueSerde(registry);
        this.deadLetterSerde = Topics.DEAD_LETTERS.valueSerde(registry);
        for (String topic : List.of(Topics.CAPTIONED_POSTS.name(), Topics.ANSWERS.name(),
                Topics.DEAD_LETTERS.name())) {
            consumer.partitionsFor(topic, Duration.ofSeconds(60))
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
    }

    /** One poll of at most {@code wait}; a record the registry cannot serve now is read again later. */
    synchronized void poll(Duration wait) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(wait);
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                if (!read(r)) {
                    consumer.seek(tp, r.offset());
                    break;
                }
            }
        }
    }

    /** Polls until every partition is read up to its end as it was when this was called (or {@code timeout}). */
    synchronized boolean catchUp(Duration timeout) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean done = true;
            for (TopicPartition tp : partitions) {
                done &= consumer.position(tp) >= end.get(tp);
            }
            if (done) {
                return true;
            }
            poll(Duration.ofMillis(200));
        }
        return false;
    }

    Map<String, Integer> captioned() {
        return Map.copyOf(captioned);
    }

    /** Post id to how many of its images came out failed. */
    Map<String, Integer> failedImages() {
        return Map.copyOf(failedImages);
    }

    Map<String, Integer> answers() {
        return Map.copyOf(answers);
    }

    synchronized List<DeadLetterSeen> deadLetters() {
        return List.copyOf(deadLetters);
    }

    /** Per topic, records that did not deserialize (hostile ones, or ones whose schema the registry lost). */
    Map<String, Integer> unreadable() {
        return Map.copyOf(unreadable);
    }

    /** Per topic, why the first unreadable record could not be read. */
    Map<String, String> firstUnreadable() {
        return Map.copyOf(firstUnreadable);
    }

    /** Counts one record; false when the registry is unreachable (the record must be read again). */
    private boolean read(ConsumerRecord<byte[], byte[]> r) {
        try {
            if (r.topic().equals(Topics.CAPTIONED_POSTS.name())) {
                CaptionedPost p = captionedSerde.deserialize(r.topic(), r.value());
                captioned.merge(p.getPostId(), 1, Integer::sum);
                failedImages.put(p.getPostId(), (int) p.getAnswers().stream().filter(ImageAnswer::getFailed).count());
            } else if (r.topic().equals(Topics.ANSWERS.name())) {
                answers.merge(answerSerde.deserialize(r.topic(), r.value()).getTask().getTaskId(), 1, Integer::sum);
            } else {
                deadLetters.add(seen(deadLetterSerde.deserialize(r.topic(), r.value())));
            }
        } catch (SerdeException e) {
            if (e.reason() == SerdeException.Reason.REGISTRY_UNAVAILABLE) {
                return false;
            }
            unreadable(r, e);  // a hostile record, or a schema the registry lost: counted, skipped
        } catch (RuntimeException e) {  // a tombstone (null value), or bytes that decode to nonsense
            unreadable(r, e);
        }
        return true;
    }

    private void unreadable(ConsumerRecord<byte[], byte[]> r, RuntimeException e) {
        unreadable.merge(r.topic(), 1, Integer::sum);
        firstUnreadable.putIfAbsent(r.topic(), r.topic() + "-" + r.partition() + "@" + r.offset() + ": " + e);
    }

    private static DeadLetterSeen seen(DeadLetter d) {
        String key = d.getKey() == null ? null : text(d.getKey(), 200);
        String message = d.getErrorMessage();
        return new DeadLetterSeen(d.getTopic(), d.getPartition(), d.getOffset(), key, d.getErrorType(),
                d.getStage(), message.length() > 300 ? message.substring(0, 300) + "..." : message);
    }

    private static String text(ByteBuffer b, int max) {
        ByteBuffer d = b.duplicate();
        byte[] bytes = new byte[Math.min(max, d.remaining())];
        d.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** Dead letters counted by error type. */
    Map<String, Integer> deadLettersByReason() {
        Map<String, Integer> out = new HashMap<>();
        deadLetters().forEach(d -> out.merge(d.errorType(), 1, Integer::sum));
        return out;
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
    }
}
