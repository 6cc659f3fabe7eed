package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code demo} serves the console on loopback and prints its URL; without --serve it ends after its summary as
 * before, so two runs in a row behave the same. Its default port (8070) falls back to a free one when taken; a port
 * given with --console-port does not.
 */
class DemoConsoleTest {
    record Run(int exit, String out, String err) {
    }

    static Run demo(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            System.setOut(o);
            System.setErr(e);
            exit = Main.commandLine().execute(args);
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void twoDemosInARowEachServeTheConsoleAndEndAfterTheSummaryTheDefaultPortFallingBackWhenTaken()
            throws Exception {
        try (ServerSocket taken = new ServerSocket(0);
             ServerSocket defaultPort = occupy(8070)) {
            int port = taken.getLocalPort();
            for (String[] args : new String[][] {{"demo", "--count", "2", "--json"},
                    {"demo", "--count", "2", "--json", "--console-port", "0"}}) {
                Run r = demo(args);
                assertThat(r.exit()).as(r.err()).isZero();
                assertThat(r.err()).containsPattern("demo: console at http://127\\.0\\.0\\.1:\\d+/\\n")
                        .doesNotContain("console at http://127.0.0.1:8070/");
                assertThat(r.out()).contains("\"scene_caption_exact_match\"");
            }
            Run busy = demo("demo", "--count", "1", "--json", "--console-port", String.valueOf(port));
            assertThat(busy.exit()).isNotZero();
            assertThat(busy.err()).contains("cannot listen on 127.0.0.1:" + port);
        }
    }

    /** Holds {@code port} when it is free; when it is not, someone else holds it, which serves as well. */
    private static ServerSocket occupy(int port) throws java.io.IOException {
        try {
            return new ServerSocket(port, 50, java.net.InetAddress.getByName("127.0.0.1"));
        } catch (java.net.BindException e) {
            return new ServerSocket(0);
        }
    }

    @Test
    void refusesAConsolePortOutOfRangeNamingIt() {
        Run r = demo("demo", "--console-port", "-1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--console-port must be 0..65535 (0 takes a free port), got -1");
    }
}
