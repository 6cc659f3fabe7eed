package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.ImageLabel;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.ConfluentSchemaRegistryClient;
import io.llavastream.serde.SchemaRegistryServer;
import io.llavastream.topics.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code labels demo|set|list|remove} against the embedded broker and a registry, and {@code tail --label}: the
 * label set is what the topic holds; a bad label is refused with its reason before anything is written; tail
 * follows only the posts that carry the label.
 */
class LabelsCommandTest {
    static EmbeddedKafkaBroker broker;
    static SchemaRegistryServer server;

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        server = SchemaRegistryServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
        broker.close();
    }

    static CliTest.Run labels(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("labels"));
        all.addAll(List.of(args));
        all.addAll(List.of("--json", "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url",
                server.url()));
        return CliTest.run(all.toArray(String[]::new));
    }

    static List<String> names(CliTest.Run r) {
        return r.lines().stream().map(n -> n.get("label").asText()).toList();
    }

    @Test
    void theLabelSetIsWhatTheTopicHoldsAndBadLabelsAreRefused() throws Exception {
        assertThat(labels("demo").exit()).isZero();
        CliTest.Run listed = labels("list");
        assertThat(names(listed)).containsExactly("circle", "cross", "square", "triangle");
        JsonNode circle = listed.lines().get(0);
        assertThat(circle.get("threshold").asDouble()).isEqualTo(0.5);
        assertThat(circle.get("prompts")).extracting(JsonNode::asText).contains("a large circle", "a red circle");

        assertThat(labels("set", "code", "--prompt", "a screenshot of code", "--prompt", "source code",
                "--threshold", "0.6").exit()).isZero();
        assertThat(labels("remove", "circle").exit()).isZero();
        assertThat(labels("set", "bad name", "--prompt", "x").exit()).isNotZero();
        assertThat(labels("set", "high", "--prompt", "x", "--threshold", "1.5").exit()).isNotZero();
        CliTest.Run after = labels("list");
        assertThat(names(after)).containsExactly("code", "cross", "square", "triangle");
        assertThat(after.lines().get(0).get("threshold").asDouble()).isEqualTo(0.6);
    }

    static CaptionedPost post(String id, String... labels) {
        List<ImageLabel> l = java.util.Arrays.stream(labels).map(x -> ImageLabel.newBuilder().setLabel(x)
                .setScore(0.9f).build()).toList();
        return CaptionedPost.newBuilder().setPostId(id).setSource("s").setLabels(List.of(labels))
                .setAnswers(List.of(ImageAnswer.newBuilder().setImageIndex(0).setImageSha256("0".repeat(64))
                        .setText("a shape").setFailed(false).setModelId("m").setLabels(l).build()))
                .setReceivedAt(Instant.EPOCH).setCompletedAt(Instant.EPOCH).build();
    }

    @Test
    void tailWithALabelFollowsOnlyThePostsCarryingIt() throws Exception {
        AvroSerde<CaptionedPost> serde = Topics.CAPTIONED_POSTS.valueSerde(
                new ConfluentSchemaRegistryClient(server.url()));
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (CaptionedPost c : List.of(post("p1", "circle"), post("p2"), post("p3", "square", "circle"),
                    post("p4", "square"))) {
                p.send(new ProducerRecord<>(Topics.CAPTIONED_POSTS.name(), 0,
                        c.getPostId().getBytes(StandardCharsets.UTF_8), serde.serialize(Topics.CAPTIONED_POSTS.name(),
                        c))).get();
            }
        }
        CliTest.Run r = CliTest.run("tail", "--from-beginning", "--label", "square", "--max", "2", "--json",
                "--bootstrap-servers", broker.bootstrapServers(), "--schema-registry-url", server.url());
        assertThat(r.exit()).isZero();
        assertThat(r.lines()).extracting(n -> n.get("post_id").asText()).containsExactly("p3", "p4");
        assertThat(r.lines().get(0).get("labels")).extracting(JsonNode::asText).containsExactly("square", "circle");
        assertThat(r.lines().get(0).get("answers").get(0).get("labels").get(0).get("label").asText())
                .isEqualTo("square");
    }
}
