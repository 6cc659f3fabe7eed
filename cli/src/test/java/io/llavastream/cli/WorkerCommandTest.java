package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
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
    void refusesAStageThatDoesNotExist() {
        Run r = run("worker", "--stage", "projector", "--bootstrap-servers", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--stage must be one of [vision, merge, decode], got projector");
    }

    @Test
    void refusesAnEmptyBatch() {
        Run r = run("worker", "--stage", "vision", "--bootstrap-servers", "127.0.0.1:1", "--max-batch", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("max.batch.size");
    }
}
