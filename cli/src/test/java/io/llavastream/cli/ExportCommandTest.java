package io.llavastream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.pipeline.PostExport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code export}'s options: the range it resolves, and errors that name the bad value. */
class ExportCommandTest {
    static ExportCommand parse(String... args) {
        ExportCommand c = new ExportCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void timeRangeAndOffsetRange() {
        assertThat(parse("--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z").range())
                .isEqualTo(new PostExport.Range(Instant.parse("2026-11-01T00:00:00Z"),
                        Instant.parse("2026-11-02T00:00:00Z"), null, null));
        assertThat(parse("--from-offset", "5", "--to-offset", "9").range())
                .isEqualTo(new PostExport.Range(null, null, 5L, 9L));
        assertThat(parse().range()).isEqualTo(PostExport.Range.all());
    }

    @Test
    void badValuesAreNamed() {
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setErr(new PrintWriter(err));
        assertThat(cl.execute("export", "--from", "yesterday")).isNotZero();
        assertThat(err.toString()).contains("--from yesterday is not an ISO-8601 instant");
        assertThat(cl.execute("export", "--from", "2026-11-01T00:00:00Z", "--from-offset", "3")).isNotZero();
        assertThat(err.toString()).contains("not both");
    }
}
