package io.llavastream.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.serde.ConfluentSchemaRegistryClient;
import io.llavastream.serde.SchemaRegistryServer;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The readers of the topics no pipeline process reads (export, search's index builder, tail) skip a tombstone and
 * bytes that are not Avro on captioned-posts and image-embeddings, count them, and go on to the valid records.
 */
class ReaderCheckTest {
    @Test
    void exportSearchAndTailSkipWhatTheyCannotReadAndGoOn() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
             SchemaRegistryServer server = SchemaRegistryServer.start()) {
            ConfluentSchemaRegistryClient registry = new ConfluentSchemaRegistryClient(server.url());
            byte[] post = Topics.CAPTIONED_POSTS.valueSerde(registry).serialize(Topics.CAPTIONED_POSTS.name(),
                    CaptionedPost.newBuilder().setPostId("readers-1").setSource("chaos").setAnswers(List.of())
                            .setReceivedAt(Instant.now()).setCompletedAt(Instant.now()).build());
            byte[] embedding = Topics.IMAGE_EMBEDDINGS.valueSerde(registry).serialize(Topics.IMAGE_EMBEDDINGS.name(),
                    ImageEmbedding.newBuilder().setImageSha256("a".repeat(64)).setModelId("m")
                            .setEmbedding(TensorCodec.fp32(new float[] {1, 0, 0, 0}, 4)).setPostId("readers-1")
                            .setImageIndex(0).build());
            try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers",
                    broker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                for (byte[] value : new byte[][] {null, bytes("# markdown, not avro"), post}) {
                    p.send(new ProducerRecord<>(Topics.CAPTIONED_POSTS.name(), 0, bytes("k"), value)).get();
                }
                for (byte[] value : new byte[][] {bytes("not an embedding"), null, embedding}) {
                    p.send(new ProducerRecord<>(Topics.IMAGE_EMBEDDINGS.name(), 0, bytes("a|m"), value)).get();
                }
            }

            ReaderCheck r = ReaderCheck.run(broker.bootstrapServers(), registry);
            assertThat(r.ok()).as("%s", r).isTrue();
            assertThat(r.exported()).isEqualTo(1);
            assertThat(r.exportSkipped()).isEqualTo(2);
            assertThat(r.indexed()).isEqualTo(6);

            PrintStream out = System.out;
            ByteArrayOutputStream tail = new ByteArrayOutputStream();
            int exit;
            try {
                System.setOut(new PrintStream(tail, true, StandardCharsets.UTF_8));
                exit = io.llavastream.cli.MainAccess.execute("tail", "--bootstrap-servers", broker.bootstrapServers(),
                        "--schema-registry-url", server.url(), "--from-beginning", "--max", "1", "--json");
            } finally {
                System.setOut(out);
            }
            assertThat(exit).isZero();
            assertThat(tail.toString(StandardCharsets.UTF_8)).contains("\"post_id\":\"readers-1\"");
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
