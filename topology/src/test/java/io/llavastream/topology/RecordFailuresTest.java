package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.serde.SerdeException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.junit.jupiter.api.Test;

/** Which record a stream thread's death is blamed on, and the backoff before it is replaced. */
class RecordFailuresTest {
    static Optional<RecordMetadata> at(String topic, int partition, long offset) {
        return Optional.of(new RecordMetadata() {
            @Override
            public String topic() {
                return topic;
            }

            @Override
            public int partition() {
                return partition;
            }

            @Override
            public long offset() {
                return offset;
            }
        });
    }

    /** A death on this thread while processing {@code record}, nested two processors deep. */
    static RecordFailures.Death dieOn(RecordFailures f, Optional<RecordMetadata> record, Throwable failure) {
        assertThat(f.enter(record)).isEmpty();
        f.enter(record);
        return f.onThreadDeath(failure);
    }

    @Test
    void aRecordThatKillsTheThreadMaxRecordAttemptsTimesIsRefusedWhenItComesAgain() {
        RecordFailures f = new RecordFailures(2);
        Optional<RecordMetadata> poison = at("llava.posts", 3, 17);
        assertThat(dieOn(f, poison, new OutOfMemoryError("Java heap space")).poisoned()).isFalse();
        RecordFailures.Death second = dieOn(f, poison, new OutOfMemoryError("Java heap space"));
        assertThat(second.record()).isEqualTo(new SourceRecord("llava.posts", 3, 17));
        assertThat(second.recordDeaths()).isEqualTo(2);
        assertThat(second.poisoned()).isTrue();

        assertThat(f.enter(poison)).hasValueSatisfying(why -> assertThat(why)
                .contains("llava.posts-3@17", "killed the stream thread 2 times", "OutOfMemoryError"));
        f.exit();
        assertThat(f.enter(at("llava.posts", 3, 18))).as("the next record is processed").isEmpty();
    }

    @Test
    void aTransientFailureIsNeverCountedAgainstTheRecord() {
        RecordFailures f = new RecordFailures(1);
        Optional<RecordMetadata> r = at("llava.answers", 0, 5);
        RecordFailures.Death d = dieOn(f, r, new StreamsException("failed",
                new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "connection refused")));
        assertThat(d.isTransient()).isTrue();
        assertThat(d.poisoned()).isFalse();
        assertThat(f.poisoned()).isEmpty();
    }

    @Test
    void aDeathAfterTheRecordWasProcessedOrHandedToTheExceptionHandlerBlamesNoRecord() {
        RecordFailures f = new RecordFailures(1);
        f.enter(at("llava.posts", 0, 1));
        f.exit();
        assertThat(f.onThreadDeath(new IllegalStateException("commit failed")).record()).isNull();

        f.enter(at("llava.posts", 0, 2));
        f.exitAbruptly(); // the processing exception handler dead-letters it, or fails the thread for a transient
        assertThat(f.onThreadDeath(new IllegalStateException("commit failed")).record()).isNull();
        assertThat(f.poisoned()).isEmpty();
    }

    @Test
    void aPunctuationHasNoRecordToBlame() {
        RecordFailures f = new RecordFailures(1);
        f.enter(at(null, -1, -1));
        assertThat(f.onThreadDeath(new StackOverflowError()).record()).isNull();
    }

    @Test
    void backoffDoublesPerDeathInARowUpToTheMaximum() {
        PipelineConfig config = new PipelineConfig(Map.of(PipelineConfig.VISION_MODEL_ID_CONFIG, "m",
                PipelineConfig.THREAD_REPLACE_BACKOFF_MS_CONFIG, 1000L,
                PipelineConfig.THREAD_REPLACE_BACKOFF_MAX_MS_CONFIG, 60_000L));
        StreamThreadFailureHandler h = new StreamThreadFailureHandler(new RecordFailures(3), config);
        assertThat(h.backoff(1)).isEqualTo(Duration.ofSeconds(1));
        assertThat(h.backoff(2)).isEqualTo(Duration.ofSeconds(2));
        assertThat(h.backoff(6)).isEqualTo(Duration.ofSeconds(32));
        assertThat(h.backoff(7)).isEqualTo(Duration.ofSeconds(60));
        assertThat(h.backoff(100)).isEqualTo(Duration.ofSeconds(60));
    }
}
