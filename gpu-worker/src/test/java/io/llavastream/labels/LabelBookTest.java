package io.llavastream.labels;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.labels.LabelPrompts;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.topics.Topics;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** The label set as records arrive: sets, tombstones, refused records; one scorer per changed version. */
class LabelBookTest {
    final List<List<String>> built = new ArrayList<>();
    final LabelBook book = new LabelBook(set -> {
        built.add(set.stream().map(LabelPrompts::label).toList());
        return LabelScorer.empty();
    });

    static LabelDefinition label(String name, double threshold, String... prompts) {
        return LabelDefinition.newBuilder().setLabel(name).setPrompts(List.of(prompts)).setThreshold(threshold)
                .build();
    }

    @Test
    void aTombstoneRemovesItsLabelAndEachChangedVersionIsBuiltOnce() {
        book.apply("circle", label("circle", 0.5, "a circle"));
        book.apply("square", label("square", 0.5, "a square"));
        book.publish();
        book.publish();  // nothing changed: no second build
        book.apply("circle", null);
        book.publish();
        assertThat(built).containsExactly(List.of("circle", "square"), List.of("square"));
        assertThat(book.current().version()).isEqualTo(3);
        assertThat(book.skipped()).isZero();
    }

    @Test
    void aRecordBreakingTheRulesIsSkippedCountedAndLeavesTheLabelAsItWas() {
        book.apply("circle", label("circle", 0.5, "a circle"));
        book.publish();
        book.apply("circle", label("circle", 1.5, "a circle"));      // threshold out of range
        book.apply("circle", label("square", 0.5, "a square"));      // key is not the label's name
        book.apply("bad name!", label("bad name!", 0.5, "a square"));
        book.apply("empty", label("empty", 0.5));                    // no prompt
        book.skip("NOT_AVRO: garbage");
        book.publish();
        assertThat(book.skipped()).isEqualTo(5);
        assertThat(built).containsExactly(List.of("circle"));
    }

    @Test
    void aScorerThatCannotBeBuiltKeepsThePreviousOneAndIsCounted() {
        LabelBook failing = new LabelBook(set -> {
            if (set.size() > 1) {
                throw new IllegalStateException("text tower failed");
            }
            return LabelScorer.empty();
        });
        failing.apply("a", label("a", 0.5, "x"));
        failing.publish();
        LabelBook.Version before = failing.current();
        failing.apply("b", label("b", 0.5, "y"));
        failing.publish();
        assertThat(failing.current()).isSameAs(before);
        assertThat(failing.skipped()).isEqualTo(1);
    }

    /**
     * The wire form, as the workers' reader and replay apply it: a record is applied, a tombstone removes, no key
     * and undecodable bytes are skipped, and while the registry cannot be reached nothing is applied or counted
     * and the caller is told to read the record again.
     */
    @Test
    void applyRecordDecodesSkipsAndAsksForARereadWhileTheRegistryIsAway() {
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        AvroSerde<LabelDefinition> serde = Topics.LABELS.valueSerde(registry);
        byte[] circle = serde.serialize(Topics.LABELS.name(), label("circle", 0.5, "a circle"));
        assertThat(book.applyRecord("circle", circle, serde, "t-0@0")).isTrue();
        assertThat(book.applyRecord(null, circle, serde, "t-0@1")).isTrue();
        assertThat(book.applyRecord("junk", new byte[] {1, 2, 3}, serde, "t-0@2")).isTrue();
        book.publish();
        assertThat(built).containsExactly(List.of("circle"));
        assertThat(book.skipped()).isEqualTo(2);

        boolean[] away = {true};
        SchemaRegistry flaky = new SchemaRegistry() {
            @Override
            public int register(String subject, Schema schema) {
                return registry.register(subject, schema);
            }

            @Override
            public Schema schemaById(int id) {
                if (away[0]) {
                    throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "registry down");
                }
                return registry.schemaById(id);
            }
        };
        AvroSerde<LabelDefinition> flakySerde = Topics.LABELS.valueSerde(flaky);
        byte[] square = serde.serialize(Topics.LABELS.name(), label("square", 0.5, "a square"));
        assertThat(book.applyRecord("square", square, flakySerde, "t-0@3")).as("read it again later").isFalse();
        assertThat(book.skipped()).isEqualTo(2);
        away[0] = false;
        assertThat(book.applyRecord("square", square, flakySerde, "t-0@3")).isTrue();
        assertThat(book.applyRecord("circle", null, serde, "t-0@4")).isTrue();
        book.publish();
        assertThat(built).containsExactly(List.of("circle"), List.of("square"));
        assertThat(book.skipped()).isEqualTo(2);
    }
}
