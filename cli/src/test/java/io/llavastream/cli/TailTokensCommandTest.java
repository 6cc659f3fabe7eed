package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.schemas.AnswerToken;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.ConfluentSchemaRegistryClient;
import io.llavastream.serde.SchemaRegistryServer;
import io.llavastream.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
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
 * {@code tail --tokens} on the embedded broker: token deltas written to the answer-tokens topic, with a stream
 * that restarts, a dropped delta, a tombstone and bytes that are not Avro among them, come out as each task's text
 * growing, starting over on the restart, marked where deltas are missing; the hostile records are skipped with a
 * line on stderr; {@code --max} stops after that many final answers.
 */
class TailTokensCommandTest {
    static EmbeddedKafkaBroker broker;
    static SchemaRegistryServer server;

    @BeforeAll
    static void start() throws Exception {
        broker = EmbeddedKafkaBroker.start();
        server = SchemaRegistryServer.start();
        AvroSerde<AnswerToken> serde = Topics.ANSWER_TOKENS.valueSerde(
                new ConfluentSchemaRegistryClient(server.url()));
        String topic = Topics.ANSWER_TOKENS.name();
        List<byte[]> values = new ArrayList<>();
        values.add(serde.serialize(topic, delta("a/0", "s1", 0, "a", false)));
        values.add(serde.serialize(topic, delta("a/0", "s1", 1, " red", false)));
        values.add("not avro at all".getBytes(StandardCharsets.UTF_8));
        values.add(null);  // a tombstone
        values.add(serde.serialize(topic, delta("a/0", "s2", 0, "a", false)));  // a retry: a new stream
        values.add(serde.serialize(topic, delta("a/0", "s2", 1, " blue", false)));
        values.add(serde.serialize(topic, delta("b/0", "s3", 0, "yes", false)));
        values.add(serde.serialize(topic, delta("a/0", "s2", 2, " circle.", true)));
        values.add(serde.serialize(topic, delta("b/0", "s3", 2, ".", true)));  // seq 1 was dropped
        values.add(serde.serialize(topic, delta("c/0", "s4", 0, "never read", true)));  // after --max 2
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(Map.of("bootstrap.servers",
                broker.bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (byte[] v : values) {  // one partition: the order above is the order read
                p.send(new ProducerRecord<>(topic, 0, "k".getBytes(StandardCharsets.UTF_8), v)).get();
            }
        }
    }

    @AfterAll
    static void stop() {
        server.close();
        broker.close();
    }

    static AnswerToken delta(String task, String stream, int seq, String text, boolean last) {
        return AnswerToken.newBuilder().setTaskId(task).setPostId(task.substring(0, task.indexOf('/')))
                .setImageIndex(0).setStreamId(stream).setSeq(seq).setTokenIds(List.of(5L + seq)).setDelta(text)
                .setFinal$(last).setModelId("demo").setEmittedAt(Instant.parse("2026-01-02T03:04:05Z")).build();
    }

    /** Runs {@code tail --tokens --from-beginning --max 2} plus {@code extra}: exit code, stdout, stderr. */
    static String[] tail(String... extra) {
        List<String> args = new ArrayList<>(List.of("tail", "--tokens", "--bootstrap-servers",
                broker.bootstrapServers(), "--schema-registry-url", server.url(), "--from-beginning", "--max", "2"));
        args.addAll(List.of(extra));
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int exit;
        try {
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            exit = Main.commandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new String[] {Integer.toString(exit), stdout.toString(StandardCharsets.UTF_8),
                stderr.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void plainOutputShowsEachTasksTextGrowingStartsOverOnARestartAndSkipsHostileRecords() {
        String[] r = tail();
        assertThat(r[0]).isEqualTo("0");
        assertThat(r[1].lines().toList()).containsExactly(
                "a/0 | a",
                "a/0 | a red",
                "a/0 ~ restarted (a new stream after a retry)",
                "a/0 | a",
                "a/0 | a blue",
                "b/0 | yes",
                "a/0 = a blue circle.",
                "b/0 = yes.  [deltas missing]");
        assertThat(r[2]).contains("skipped " + Topics.ANSWER_TOKENS.name() + "-0@2: ")
                .contains("skipped " + Topics.ANSWER_TOKENS.name() + "-0@3: a tombstone (no value), not a token delta");
    }

    @Test
    void jsonPrintsOneObjectPerDeltaWithTheTextSoFar() throws Exception {
        String[] r = tail("--json");
        assertThat(r[0]).isEqualTo("0");
        List<JsonNode> lines = new ArrayList<>();
        for (String line : r[1].lines().toList()) {
            lines.add(JsonLines.JSON.readTree(line));
        }
        assertThat(lines).hasSize(7);
        assertThat(lines).extracting(n -> n.get("text").asText())
                .containsExactly("a", "a red", "a", "a blue", "yes", "a blue circle.", "yes.");
        JsonNode restart = lines.get(2);
        assertThat(restart.get("restarted").asBoolean()).isTrue();
        assertThat(restart.get("stream_id").asText()).isEqualTo("s2");
        assertThat(restart.get("seq").asInt()).isZero();
        JsonNode last = lines.get(6);
        assertThat(last.get("final").asBoolean()).isTrue();
        assertThat(last.get("gap").asBoolean()).isTrue();
        assertThat(last.get("delta").asText()).isEqualTo(".");
        assertThat(last.get("task_id").asText()).isEqualTo("b/0");
        assertThat(last.get("token_ids").get(0).asLong()).isEqualTo(7);
        assertThat(last.get("emitted_at").asText()).isEqualTo("2026-01-02T03:04:05Z");
        assertThat(r[2]).contains("not a token delta");
    }
}
