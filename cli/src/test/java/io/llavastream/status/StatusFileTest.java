package io.llavastream.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status file is rewritten at its interval, reads back as written, and carries the consumer's positions. */
class StatusFileTest {
    @TempDir
    Path dir;

    @Test
    void isRewrittenEveryIntervalAndReadsBackWithThisProcessAndItsHeap() throws Exception {
        Path file = dir.resolve("sub/status.json");
        AtomicLong records = new AtomicLong();
        try (StatusFile ignored = StatusFile.start(file, Duration.ofMillis(20), () -> ProcessStatus.now("worker",
                "decode", "decode-0", "RUNNING", new ProcessStatus.Counts(records.incrementAndGet(), 2L, 3L, 4L, null),
                Map.of("llava.decode-requests-0", 7L)))) {
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (records.get() < 5 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
        ProcessStatus s = ProcessStatus.read(file).orElseThrow();
        assertThat(records.get()).isGreaterThanOrEqualTo(5);
        assertThat(s.records()).isEqualTo(records.get());
        assertThat(s.role()).isEqualTo("worker");
        assertThat(s.instanceId()).isEqualTo("decode-0");
        assertThat(s.pid()).isEqualTo(ProcessHandle.current().pid());
        assertThat(s.inFlight()).isNull();
        assertThat(s.positions()).containsEntry("llava.decode-requests-0", 7L);
        assertThat(s.heapUsed()).isPositive();
        assertThat(s.heapMax()).isGreaterThanOrEqualTo(s.heapUsed());
        assertThat(s.writtenAt()).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(10_000L));
        assertThat(ProcessStatus.read(dir.resolve("missing.json"))).isEmpty();
    }

    @Test
    void consumedPositionsRemembersTheOffsetAfterTheLastRecordOfEachPollAndChangesNothing() {
        ConsumedPositions interceptor = new ConsumedPositions();
        TopicPartition tp = new TopicPartition("llava.chaos-status-test", 3);
        ConsumerRecords<Object, Object> polled = new ConsumerRecords<>(Map.of(tp, List.of(
                new ConsumerRecord<>(tp.topic(), 3, 40, "k", "v"), new ConsumerRecord<>(tp.topic(), 3, 41, "k", "v"))),
                Map.of());
        assertThat(interceptor.onConsume(polled)).isSameAs(polled);
        assertThat(ConsumedPositions.snapshot()).containsEntry("llava.chaos-status-test-3", 42L);
        interceptor.onConsume(new ConsumerRecords<>(Map.of(tp, List.of(new ConsumerRecord<>(tp.topic(), 3, 10,
                "k", (Object) "v"))), Map.of()));
        assertThat(ConsumedPositions.snapshot()).as("a rewind does not lower what was read")
                .containsEntry("llava.chaos-status-test-3", 42L);
    }
}
