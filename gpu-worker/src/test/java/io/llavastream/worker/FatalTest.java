package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.serde.SerdeException;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

/** Which errors stop a worker, and which count against the records of the failed transaction. */
class FatalTest {
    @Test
    void fencingAuthorizationAndRepeatedCommitTimeoutsAreFatalEvenWhenWrapped() {
        assertThat(Fatal.is(new ProducerFencedException("x"))).isTrue();
        assertThat(Fatal.is(new KafkaException("User rebalance callback throws an error",
                new FencedInstanceIdException("x")))).isTrue();
        assertThat(Fatal.is(new TopicAuthorizationException("x"))).isTrue();
        assertThat(Fatal.is(new Fatal.CommitTimeoutException(new TimeoutException("x"), 3))).isTrue();
        assertThat(Fatal.is(new KafkaException("broker went away"))).isFalse();
        assertThat(Fatal.is(new TimeoutException("x"))).isFalse();
    }

    @Test
    void onlyARefusalThatMayBeTheRecordsOwnCountsAgainstThem() {
        assertThat(Fatal.blamesRecords(new RecordTooLargeException("x"))).isTrue();
        assertThat(Fatal.blamesRecords(new KafkaException("abortable", new RecordTooLargeException("x")))).isTrue();
        assertThat(Fatal.blamesRecords(new TimeoutException("x"))).isFalse();
        assertThat(Fatal.blamesRecords(new CommitFailedException("generation id is not valid"))).isFalse();
        assertThat(Fatal.blamesRecords(new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "down")))
                .isFalse();
    }
}
