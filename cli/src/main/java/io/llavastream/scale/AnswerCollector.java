package io.llavastream.scale;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.FinishReason;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads one run's answers (read_committed, from the end of the topic as it was when the collector was made) in a
 * thread of its own: counts each task once, and counts again any task that arrives twice (a duplicate) or with an
 * ERROR answer; notes when each task's answer arrived. Every 100 ms it takes a {@link Sample}.
 *
 * <p>Reads {@link Topics#BENCH_SCALE_ANSWERS}.
 */
final class AnswerCollector implements Runnable, AutoCloseable {
    private static final long SAMPLE_NANOS = 100_000_000L;

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroSerde<Answer> serde;
    private final String prefix;
    private final StageBusy busy;
    private final Set<String> seen = new HashSet<>();
    private final AtomicInteger answers = new AtomicInteger();
    private final AtomicInteger duplicates = new AtomicInteger();
    private final AtomicInteger errors = new AtomicInteger();
    private final List<Sample> samples = new ArrayList<>();
    private final List<Long> arrivals = new ArrayList<>();
    private volatile boolean stopping;
    private volatile boolean started;
    private long lastSample;

    /** Positions itself at the end of every partition before it returns, so that a run counts only its own. */
    AnswerCollector(String bootstrapServers, SchemaRegistry registry, String prefix, StageBusy busy) {
        this.consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        this.serde = Topics.BENCH_SCALE_ANSWERS.valueSerde(registry);
        this.prefix = prefix;
        this.busy = busy;
        List<TopicPartition> partitions = IntStream.range(0, Topics.BENCH_SCALE_ANSWERS.partitions())
                .mapToObj(p -> new TopicPartition(Topics.BENCH_SCALE_ANSWERS.name(), p)).toList();
        consumer.assign(partitions);
        consumer.seekToEnd(partitions);
        partitions.forEach(consumer::position);
        sample();
    }

    @Override
    public void run() {
        started = true;
        try {
            while (!stopping) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(20));
                long now = System.nanoTime();  // one time per poll: a transaction's answers arrive together
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    count(r, now);
                }
                if (System.nanoTime() - lastSample >= SAMPLE_NANOS) {
                    sample();
                }
            }
        } catch (WakeupException e) {
            if (!stopping) {
                throw e;
            }
        } finally {
            sample();
            consumer.close();
        }
    }

    private void count(ConsumerRecord<byte[], byte[]> r, long now) {
        Answer a = serde.deserialize(r.topic(), r.value());
        String task = a.getTask().getTaskId();
        if (!task.startsWith(prefix)) {
            return;
        }
        if (!seen.add(task)) {
            duplicates.incrementAndGet();
            return;
        }
        if (a.getFinishReason() == FinishReason.ERROR) {
            errors.incrementAndGet();
        }
        synchronized (arrivals) {
            arrivals.add(now);
        }
        answers.incrementAndGet();
    }

    private void sample() {
        lastSample = System.nanoTime();
        Sample s = new Sample(lastSample, answers.get(), BrokerBytes.in(), BrokerBytes.out(), busy.vision().get(),
                busy.merge().get(), busy.decode().get(), busy.decodeSteps().get(), busy.decodeRows().get());
        synchronized (samples) {
            samples.add(s);
        }
    }

    int answers() {
        return answers.get();
    }

    int duplicates() {
        return duplicates.get();
    }

    int errors() {
        return errors.get();
    }

    List<Sample> samples() {
        synchronized (samples) {
            return List.copyOf(samples);
        }
    }

    /** When each distinct answer arrived (nanoTime), in order. */
    List<Long> arrivals() {
        synchronized (arrivals) {
            return List.copyOf(arrivals);
        }
    }

    /** Stops the thread, which takes a last sample and closes the consumer; closes it here if it never ran. */
    @Override
    public synchronized void close() {
        if (stopping) {
            return;
        }
        stopping = true;
        if (started) {
            consumer.wakeup();
        } else {
            consumer.close();
        }
    }
}
