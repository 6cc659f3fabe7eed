package io.llavastream.labels;

import io.llavastream.schemas.LabelDefinition;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the labels topic into a {@link LabelBook} on a thread of its own, for the life of the worker: assigned
 * every partition (no consumer group, no offsets committed), read_committed, from the beginning, so every vision
 * worker holds the whole set as a GlobalKTable would. A change reaches the scorer after one poll (200 ms at most
 * when idle) and the text tower's run over the set's prompts: images scored after that carry the new labels.
 *
 * <p>No record stops it: a tombstone removes its label; a record that cannot be decoded or breaks the label rules
 * is skipped, counted ({@link LabelBook#skipped()}) and logged. It is not dead-lettered: the topic is not the
 * worker's input, and every worker re-reads it at every start, so a dead letter would repeat; {@code labels set}
 * checks the same rules before it writes. A registry that cannot be reached, or a broker error, is retried after a
 * pause from the same offset.
 *
 * <p>Reads {@link Topics#LABELS}; writes nothing.
 */
public final class LabelReader implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LabelReader.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long RETRY_MS = 1_000;

    private final Consumer<byte[], byte[]> consumer;
    private final AvroSerde<LabelDefinition> serde;
    private final LabelBook book;
    private final CountDownLatch loaded = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean running = true;

    /** Starts reading; the reader owns {@code consumer} and closes it. */
    public LabelReader(Consumer<byte[], byte[]> consumer, SchemaRegistry registry, LabelBook book) {
        this.consumer = consumer;
        this.serde = Topics.LABELS.valueSerde(registry);
        this.book = book;
        this.thread = new Thread(this::run, "llava-labels-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /** Waits until the records that were on the topic when the reader started are in force, at most {@code max}. */
    public boolean awaitLoaded(Duration max) throws InterruptedException {
        return loaded.await(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    public LabelBook book() {
        return book;
    }

    private void run() {
        Map<TopicPartition, Long> end = null;
        while (running) {
            try {
                if (end == null) {
                    end = assign();
                    if (end == null) {
                        pause();
                        continue;
                    }
                }
                ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                for (TopicPartition tp : records.partitions()) {
                    for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                        if (!apply(r)) {
                            consumer.seek(tp, r.offset());  // the registry is away: read it again later
                            pause();
                            break;
                        }
                    }
                }
                book.publish();
                if (loaded.getCount() > 0 && reached(end)) {
                    loaded.countDown();
                }
            } catch (WakeupException | InterruptException e) {
                break;
            } catch (KafkaException e) {
                LOG.warn("labels: reading {} failed ({}); retrying", Topics.LABELS.name(), e.toString());
                pause();
            }
        }
        consumer.close();
    }

    private Map<TopicPartition, Long> assign() {
        List<TopicPartition> parts = consumer.partitionsFor(Topics.LABELS.name(), Duration.ofSeconds(10)).stream()
                .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        if (parts.isEmpty()) {
            LOG.warn("labels: topic {} does not exist (yet); no labels until it does", Topics.LABELS.name());
            return null;
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
        return consumer.endOffsets(parts);
    }

    private boolean reached(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Applies one record; false when the registry cannot be reached (the record is to be read again). */
    private boolean apply(ConsumerRecord<byte[], byte[]> r) {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        return book.applyRecord(key, r.value(), serde, r.topic() + "-" + r.partition() + "@" + r.offset());
    }

    private void pause() {
        try {
            Thread.sleep(RETRY_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
