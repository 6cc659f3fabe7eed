package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class TopologyCommandTest {
    record Result(int exit, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void helpNamesTheKafkaRegistryAndTopologyOptions() {
        Result r = run("topology", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--bootstrap-servers", "--client-config", "--schema-registry-url",
                "--vision-model-id", "--set");
    }

    @Test
    void visionModelIsRequired() {
        Result r = run("topology", "--bootstrap-servers", "localhost:9092");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--vision-model-id");
    }

    @Test
    void anInvalidSettingIsAUsageErrorNamingIt() {
        Result r = run("topology", "--bootstrap-servers", "localhost:9092", "--vision-model-id", "m",
                "--set", "max.images.per.post=0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("max.images.per.post");
    }

    @Test
    void listConfigPrintsEverySettingWithItsDoc() {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        TopologyCommand.listConfig(new java.io.PrintStream(buf, true, java.nio.charset.StandardCharsets.UTF_8));
        String text = buf.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).contains("max.images.per.post (int, default 16", "vision.model.id (string, (required)",
                "default.prompt", "max.image.bytes", "replication.factor", "post.timeout.ms (long, default 900000",
                "max.pending.posts", "max.record.attempts (int, default 3", "thread.replace.backoff.ms",
                "max.thread.failures");
    }

}
