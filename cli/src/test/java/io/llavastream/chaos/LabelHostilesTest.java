package io.llavastream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.labels.LabelBook;
import io.llavastream.labels.LabelReader;
import io.llavastream.model.ModelDirectory;
import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The corpus's records on the labels topic, read by the vision workers' {@link LabelReader} (over Kafka's
 * MockConsumer): each that is not a tombstone is skipped and counted, and none puts a label in force.
 */
class LabelHostilesTest {
    @Test
    void everyHostileLabelRecordIsSkippedCountedAndLeavesTheLabelSetEmpty() throws Exception {
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        List<HostileRecord> hostile = HostileCorpus.build(registry, ModelFacts.of(ModelDirectory.bundled()), "t1",
                "llava-topology").stream().filter(h -> h.topic().equals(Topics.LABELS.name())).toList();
        assertThat(hostile).hasSize(10).allMatch(h -> h.name().startsWith("labels/"));

        String topic = Topics.LABELS.name();
        TopicPartition tp = new TopicPartition(topic, 0);
        MockConsumer<byte[], byte[]> consumer = new MockConsumer<>(OffsetResetStrategy.EARLIEST);
        consumer.updatePartitions(topic, List.of(new PartitionInfo(topic, 0, null, null, null)));
        consumer.updateBeginningOffsets(Map.of(tp, 0L));
        consumer.updateEndOffsets(Map.of(tp, (long) hostile.size()));
        consumer.schedulePollTask(() -> {
            for (int i = 0; i < hostile.size(); i++) {
                consumer.addRecord(new ConsumerRecord<>(topic, 0, i, hostile.get(i).key(), hostile.get(i).value()));
            }
        });
        List<List<LabelPrompts>> built = new ArrayList<>();
        LabelBook book = new LabelBook(set -> {
            built.add(set);
            return LabelScorer.empty();
        });
        try (LabelReader reader = new LabelReader(consumer, registry, book)) {
            assertThat(reader.awaitLoaded(Duration.ofSeconds(20))).as("the reader reached the end").isTrue();
        }
        long tombstones = hostile.stream().filter(h -> h.value() == null).count();
        assertThat(tombstones).isEqualTo(1);
        assertThat(book.skipped()).isEqualTo(hostile.size() - tombstones);
        assertThat(built).as("no label set was ever built").isEmpty();
        assertThat(book.current().version()).isZero();
    }
}
