package io.llavastream.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.topics.Topics;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.Schema;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * A registry outage in the middle of a run. The clients use {@link ConfluentSchemaRegistryClient}'s default
 * timeouts. Schemas a client has seen keep working. New lookups fail fast with REGISTRY_UNAVAILABLE (transient),
 * never with UNKNOWN_SCHEMA_ID (which would dead-letter a good record). After the registry restarts on the same
 * port and the same {@code _schemas} topic, lookups work again with the same ids.
 */
class RegistryOutageTest {
    /** Connection refused is immediate; this allows for a loaded machine. */
    static final Duration FAST = Duration.ofSeconds(3);
    static final String POSTS = Topics.POSTS.name();

    static Map<String, Object> client(EmbeddedKafkaBroker broker) {
        return Map.of("bootstrap.servers", broker.bootstrapServers());
    }

    static void unavailableWithin(Duration limit, ThrowingCallable call) {
        long t0 = System.nanoTime();
        assertThatThrownBy(call).isInstanceOf(SerdeException.class)
                .extracting(e -> ((SerdeException) e).reason()).isEqualTo(SerdeException.Reason.REGISTRY_UNAVAILABLE);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(limit);
    }

    @Test
    void cachedSchemasKeepWorkingNewLookupsFailFastAndARestartOnTheSamePortAndTopicRecovers() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            SchemaRegistryServer server = SchemaRegistryServer.start(
                    KafkaSchemaRegistry.open(client(broker), KafkaSchemaRegistry.DEFAULT_TIMEOUT), 0);
            String url = server.url();
            int port = URI.create(url).getPort();
            ConfluentSchemaRegistryClient worker = new ConfluentSchemaRegistryClient(url);
            AvroSerde<Post> posts = Topics.POSTS.valueSerde(worker);
            byte[] bytes = posts.serialize(POSTS, KafkaSchemaRegistryTest.post());
            int taskId = new ConfluentSchemaRegistryClient(url).register(Topics.VISION_REQUESTS.name() + "-value",
                    ImageTask.getClassSchema()); // registered, but this worker has never seen it

            server.close();

            // what the worker has seen keeps working, through a new serde too (the client caches, not the serde)
            assertThat(posts.deserialize(POSTS, bytes)).isEqualTo(KafkaSchemaRegistryTest.post());
            assertThat(Topics.POSTS.valueSerde(worker).deserialize(POSTS, bytes))
                    .isEqualTo(KafkaSchemaRegistryTest.post());
            assertThat(Topics.POSTS.valueSerde(worker).serialize(POSTS, KafkaSchemaRegistryTest.post()))
                    .isEqualTo(bytes);
            // what it has not seen is unavailable, fast, and not an unknown id
            unavailableWithin(FAST, () -> worker.schemaById(taskId));
            unavailableWithin(FAST, () -> worker.register(Topics.ANSWERS.name() + "-value",
                    Answer.getClassSchema()));
            byte[] taskRecord = bytes.clone();
            taskRecord[4] = (byte) taskId;
            unavailableWithin(FAST, () -> Topics.VISION_REQUESTS.valueSerde(worker)
                    .deserialize(Topics.VISION_REQUESTS.name(), taskRecord));

            try (SchemaRegistryServer again = SchemaRegistryServer.start(
                    KafkaSchemaRegistry.open(client(broker), KafkaSchemaRegistry.DEFAULT_TIMEOUT), port)) {
                assertThat(again.url()).isEqualTo(url);
                Schema task = worker.schemaById(taskId);
                assertThat(task).isEqualTo(ImageTask.getClassSchema());
                assertThat(worker.register(Topics.ANSWERS.name() + "-value", Answer.getClassSchema()))
                        .isEqualTo(taskId + 1);
                assertThatThrownBy(() -> worker.schemaById(999)).extracting(e -> ((SerdeException) e).reason())
                        .as("a running registry still answers 404 for an id it does not have")
                        .isEqualTo(SerdeException.Reason.UNKNOWN_SCHEMA_ID);
            }
        }
    }

    @Test
    void aBrokerOutageBehindARunningRegistryIsUnavailableNotAnUnknownId() throws Exception {
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
        try (SchemaRegistryServer server = SchemaRegistryServer.start(
                KafkaSchemaRegistry.open(client(broker), Duration.ofSeconds(2)), 0)) {
            ConfluentSchemaRegistryClient worker = new ConfluentSchemaRegistryClient(server.url());
            int post = worker.register(POSTS + "-value", Post.getClassSchema());
            broker.close();
            assertThat(new ConfluentSchemaRegistryClient(server.url()).schemaById(post))
                    .as("the server answers what it has read without the broker").isEqualTo(Post.getClassSchema());
            // an id it does not have sends it to the topic, which does not answer within its 2 s timeout
            unavailableWithin(Duration.ofSeconds(8), () -> worker.schemaById(post + 1));
            unavailableWithin(Duration.ofSeconds(8), () -> worker.register("a-value", Answer.getClassSchema()));
        } finally {
            broker.close();
        }
    }
}
