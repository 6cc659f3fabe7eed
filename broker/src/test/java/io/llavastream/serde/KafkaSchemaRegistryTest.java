package io.llavastream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The schema registry kept in the broker's {@code _schemas} topic, on a real embedded broker. */
class KafkaSchemaRegistryTest {
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @TempDir
    Path dataDir;

    static Map<String, Object> client(EmbeddedKafkaBroker broker) {
        return Map.of("bootstrap.servers", broker.bootstrapServers());
    }

    static Post post() {
        return Post.newBuilder().setId("p1").setSource("forum").setCreatedAt(Instant.ofEpochMilli(1000))
                .setImages(List.of(PostImage.newBuilder().setContentType("image/png")
                        .setData(ByteBuffer.wrap(new byte[] {1, 2, 3})).build()))
                .setAttributes(Map.of("lang", "en")).build();
    }

    static String subject(Topic<?> t) {
        return t.name() + "-value";
    }

    static Schema schema(Topic<?> t) {
        return org.apache.avro.specific.SpecificData.get().getSchema(t.valueType());
    }

    @Test
    void idsStayTheSameWhenBrokerAndRegistryRestartFromTheSameDataDirAndOldRecordsStillDecode() throws Exception {
        List<Topic<?>> order = List.of(Topics.POSTS, Topics.ANSWERS, Topics.DEAD_LETTERS);
        Map<String, Integer> before = new LinkedHashMap<>();
        byte[] oldPost;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0);
             SchemaRegistryServer server = SchemaRegistryServer.start(
                     KafkaSchemaRegistry.open(client(broker), TIMEOUT), 0)) {
            ConfluentSchemaRegistryClient rest = new ConfluentSchemaRegistryClient(server.url());
            for (Topic<?> t : order) {
                before.put(subject(t), rest.register(subject(t), schema(t)));
            }
            oldPost = Topics.POSTS.valueSerde(rest).serialize(Topics.POSTS.name(), post());
        }
        assertThat(before.values()).containsExactly(1, 2, 3);

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(dataDir, 0);
             SchemaRegistryServer server = SchemaRegistryServer.start(
                     KafkaSchemaRegistry.open(client(broker), TIMEOUT), 0)) {
            ConfluentSchemaRegistryClient rest = new ConfluentSchemaRegistryClient(server.url());
            // a schema never seen before goes first: an in-memory registry would give it id 1, Post's old id
            int fresh = rest.register(subject(Topics.VISION_REQUESTS), ImageTask.getClassSchema());
            assertThat(fresh).isEqualTo(4);
            List<Topic<?>> reversed = new ArrayList<>(order);
            java.util.Collections.reverse(reversed);
            for (Topic<?> t : reversed) {
                assertThat(rest.register(subject(t), schema(t))).as(subject(t)).isEqualTo(before.get(subject(t)));
            }
            assertThat(server.registry().versions(subject(Topics.POSTS))).containsExactly(1);
            assertThat(Topics.POSTS.valueSerde(new ConfluentSchemaRegistryClient(server.url()))
                    .deserialize(Topics.POSTS.name(), oldPost)).isEqualTo(post());
        }
    }

    @Test
    void aSecondRegistryOnTheTopicFencesTheFirstAndIdsNeverConflict() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
             KafkaSchemaRegistry first = KafkaSchemaRegistry.open(client(broker), TIMEOUT)) {
            int post = first.register("p-value", Post.getClassSchema());
            try (KafkaSchemaRegistry second = KafkaSchemaRegistry.open(client(broker), TIMEOUT)) {
                assertThat(second.register("p-value", Post.getClassSchema())).isEqualTo(post);
                int answer = second.register("a-value", Answer.getClassSchema());
                assertThat(answer).isEqualTo(post + 1);

                assertThatThrownBy(() -> first.register("d-value", DeadLetter.getClassSchema()))
                        .isInstanceOf(SerdeException.class).hasMessageContaining("another registry opened")
                        .extracting(e -> ((SerdeException) e).reason())
                        .isEqualTo(SerdeException.Reason.REGISTRY_UNAVAILABLE);
                assertThat(first.register("p-value", Post.getClassSchema())).as("known: answered from memory")
                        .isEqualTo(post);
                assertThat(first.schemaById(answer)).as("an unknown id makes it read the topic again")
                        .isEqualTo(Answer.getClassSchema());
                assertThat(second.register("d-value", DeadLetter.getClassSchema())).isEqualTo(answer + 1);
            }
        }
    }

    @Test
    void foreignAndConflictingRecordsInTheTopicAreSkippedAndTheFirstBindingWins() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of(
                    ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
                String topic = Topics.SCHEMAS.name();
                send(raw, topic, "\u0000\u00ff binary", "garbage");
                send(raw, topic, "not json", "{}");
                send(raw, topic, "{\"keytype\":\"NOOP\",\"magic\":0}", null);
                send(raw, topic, "{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}",
                        "{\"compatibilityLevel\":\"BACKWARD\"}");
                send(raw, topic, key("p-value", 1), value("p-value", 1, 1, Post.getClassSchema()));
                send(raw, topic, key("x-value", 1), value("x-value", 1, 1, Answer.getClassSchema()));
                send(raw, topic, key("q-value", 1), value("q-value", 1, 7, Post.getClassSchema()));
                send(raw, topic, key("s-value", 1), "{\"subject\":\"s-value\",\"version\":1,\"id\":2,"
                        + "\"schema\":\"{not avro\",\"deleted\":false}");
                send(raw, topic, key("j-value", 1), "{\"subject\":\"j-value\",\"version\":1,\"id\":3,"
                        + "\"schemaType\":\"JSON\",\"schema\":\"{}\"}");
                send(raw, topic, key("del-value", 1), "{\"subject\":\"del-value\",\"version\":1,\"id\":4,"
                        + "\"schema\":" + quoted(Answer.getClassSchema()) + ",\"deleted\":true}");
                raw.flush();
            }
            try (KafkaSchemaRegistry registry = KafkaSchemaRegistry.open(client(broker), TIMEOUT)) {
                assertThat(registry.schemaById(1)).isEqualTo(Post.getClassSchema());
                assertThat(registry.subjects()).containsExactly("p-value");
                assertThatThrownBy(() -> registry.schemaById(7)).extracting(e -> ((SerdeException) e).reason())
                        .isEqualTo(SerdeException.Reason.UNKNOWN_SCHEMA_ID);
                assertThat(registry.register("x-value", Answer.getClassSchema())).isEqualTo(2);
                assertThat(registry.register("q-value", Post.getClassSchema())).isEqualTo(1);
            }
        }
    }

    @Test
    void aMissingStoreTopicIsAClearError() {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            try (var admin = org.apache.kafka.clients.admin.Admin.create(client(broker))) {
                admin.deleteTopics(List.of(Topics.SCHEMAS.name())).all().get();
                while (admin.listTopics().names().get().contains(Topics.SCHEMAS.name())) {
                    Thread.sleep(100);
                }
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            assertThatThrownBy(() -> KafkaSchemaRegistry.open(client(broker), TIMEOUT))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("topic _schemas does not exist")
                    .hasMessageContaining("cleanup.policy=compact");
        }
    }

    static String key(String subject, int version) {
        return "{\"keytype\":\"SCHEMA\",\"subject\":\"" + subject + "\",\"version\":" + version + ",\"magic\":1}";
    }

    static String value(String subject, int version, int id, Schema schema) {
        return "{\"subject\":\"" + subject + "\",\"version\":" + version + ",\"id\":" + id + ",\"schema\":"
                + quoted(schema) + ",\"deleted\":false}";
    }

    static String quoted(Schema schema) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(schema.toString()).toString();
    }

    static void send(KafkaProducer<byte[], byte[]> p, String topic, String key, String value) throws Exception {
        p.send(new ProducerRecord<>(topic, 0, key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8))).get();
    }
}
