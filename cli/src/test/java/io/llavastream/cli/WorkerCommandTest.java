package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The worker command's refusals, which come before any model or broker is touched. */
class WorkerCommandTest {
    record Run(int exit, String err) {
    }

    static Run run(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int exit;
        try (PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8)) {
            System.setErr(p);
            exit = Main.commandLine().execute(args);
        } finally {
            System.setErr(old);
        }
        return new Run(exit, buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void isASubcommand() {
        assertThat(Main.commandLine().getSubcommands()).containsKey("worker");
    }

    @Test
    void separateProcessesNeedASharedRegistry() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--schema-registry-url is required");
    }

    @Test
    void saysPlainlyWhenTheRestRegistryClientIsNotInTheBuild() {
        boolean present;
        try {
            Class.forName("io.llavastream.serde.ConfluentSchemaRegistryClient");
            present = true;
        } catch (ClassNotFoundException e) {
            present = false;
        }
        Assumptions.assumeFalse(present, "the REST client exists: nothing to refuse");
        Run r = run("worker", "--stage", "merge", "--bootstrap-servers", "127.0.0.1:1", "--schema-registry-url",
                "http://127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("REST schema registry client not available yet");
    }

    @Test
    void refusesAStageThatDoesNotExist() {
        Run r = run("worker", "--stage", "decode", "--bootstrap-servers", "127.0.0.1:1", "--embedded-registry");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--stage must be one of [vision, merge]");
    }

    @Test
    void refusesAnEmptyBatch() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--embedded-registry",
                "--max-batch", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("max.batch.size");
    }
}
