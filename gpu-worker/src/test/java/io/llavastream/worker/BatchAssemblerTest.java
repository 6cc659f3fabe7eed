package io.llavastream.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class BatchAssemblerTest {

    @Test
    void aFullBatchIsReadyAtOnce() {
        BatchAssembler a = new BatchAssembler(3, 1000);
        a.add(records(0, 0, 2), 0);
        assertThat(a.ready(0)).isFalse();
        a.add(records(0, 2, 1), 5);
        assertThat(a.ready(5)).isTrue();
        assertThat(a.drain()).extracting(ConsumerRecord::offset).containsExactly(0L, 1L, 2L);
        assertThat(a.size()).isZero();
    }

    @Test
    void aPartialBatchIsReadyOnceItsFirstRecordHasLingered() {
        BatchAssembler a = new BatchAssembler(8, 20);
        assertThat(a.ready(0)).isFalse();
        a.add(records(0, 0, 1), 100);
        a.add(records(0, 1, 1), 115);
        assertThat(a.ready(119)).isFalse();
        assertThat(a.ready(120)).isTrue();
    }

    @Test
    void pollWaitsForTheRestOfTheLingerOnlyWhenRecordsArePending() {
        BatchAssembler a = new BatchAssembler(8, 20);
        assertThat(a.pollTimeoutMs(100, 500)).isEqualTo(500);
        a.add(records(0, 0, 1), 100);
        assertThat(a.pollTimeoutMs(105, 500)).isEqualTo(15);
        assertThat(a.pollTimeoutMs(130, 500)).isZero();
        assertThat(a.pollTimeoutMs(100, 5)).isEqualTo(5);
    }

    @Test
    void zeroLingerSendsEveryPollOnItsOwn() {
        BatchAssembler a = new BatchAssembler(8, 0);
        a.add(records(0, 0, 1), 7);
        assertThat(a.ready(7)).isTrue();
    }

    @Test
    void revokedPartitionsLeaveTheBatch() {
        BatchAssembler a = new BatchAssembler(8, 20);
        a.add(records(0, 0, 2), 0);
        a.add(records(1, 0, 2), 0);
        a.drop(List.of(new TopicPartition("t", 0)));
        assertThat(a.drain()).extracting(ConsumerRecord::partition).containsExactly(1, 1);
    }

    @Test
    void chunksCutInOrderWithAShortLastChunk() {
        List<Integer> items = IntStream.range(0, 7).boxed().toList();
        assertThat(BatchAssembler.chunks(items, 3)).containsExactly(List.of(0, 1, 2), List.of(3, 4, 5), List.of(6));
        assertThat(BatchAssembler.chunks(List.of(), 3)).isEmpty();
    }

    static List<ConsumerRecord<byte[], byte[]>> records(int partition, long from, int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> new ConsumerRecord<byte[], byte[]>("t", partition, from + i, null, new byte[] {1}))
                .toList();
    }
}
