package io.llavastream.cli;

import io.llavastream.pipeline.PostExport;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code export}: reads a range of the captioned-posts topic (read_committed, assign + seek, no consumer group) and
 * writes one JSON line per post ({@link PostExport}) to {@code --out} or stdout; progress and a one-line JSON
 * summary on stderr.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write captioned posts of a topic range as JSONL for LLM training (no image bytes): "
                + "post_id, source, url, title, author, created_at, body (images replaced by their captions), "
                + "captions[...]. Range by time (--from/--to) or by offset (--from-offset/--to-offset, the same on "
                + "every partition); without either, the whole topic.")
final class ExportCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registry;
    @Spec
    CommandSpec spec;
    @Option(names = "--topic", defaultValue = "llava.captioned-posts", description = "Topic (default ${DEFAULT-VALUE}).")
    String topic;
    @Option(names = "--from", paramLabel = "ISO-8601", description = "First record timestamp, inclusive, e.g. "
            + "2026-11-01T00:00:00Z (offsetsForTimes on every partition).")
    String from;
    @Option(names = "--to", paramLabel = "ISO-8601", description = "Last record timestamp, exclusive.")
    String to;
    @Option(names = "--from-offset", paramLabel = "N", description = "First offset on every partition, inclusive.")
    Long fromOffset;
    @Option(names = "--to-offset", paramLabel = "M", description = "End offset on every partition, exclusive.")
    Long toOffset;
    @Option(names = "--out", paramLabel = "FILE", description = "Write here instead of stdout.")
    Path out;

    @Override
    public Integer call() throws Exception {
        PostExport.Range range = range();
        Writer w = out == null ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
                : Files.newBufferedWriter(out, StandardCharsets.UTF_8);
        PostExport.Summary s;
        Progress[] progress = {null};
        try (w) {
            s = new PostExport(kafka.load().consumer(), registry.connect()).export(topic, range, w,
                    total -> progress[0] = new Progress("export", total), () -> progress[0].step());
        } finally {
            if (progress[0] != null) {
                progress[0].close();
            }
        }
        System.err.println(JsonLines.JSON.writeValueAsString(JsonLines.object().put("topic", topic)
                .put("posts", s.posts()).put("skipped", s.skipped()).put("partitions", s.partitions())
                .put("out", out == null ? "-" : out.toString())));
        return 0;
    }

    PostExport.Range range() {
        if ((from != null || to != null) && (fromOffset != null || toOffset != null)) {
            throw new ParameterException(spec.commandLine(), "give --from/--to or --from-offset/--to-offset, not both");
        }
        if (fromOffset != null && fromOffset < 0 || toOffset != null && toOffset < 0) {
            throw new ParameterException(spec.commandLine(), "offsets must be >= 0, got --from-offset " + fromOffset
                    + " --to-offset " + toOffset);
        }
        return new PostExport.Range(instant("--from", from), instant("--to", to), fromOffset, toOffset);
    }

    private Instant instant(String option, String value) {
        try {
            return value == null ? null : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new ParameterException(spec.commandLine(), option + " " + value
                    + " is not an ISO-8601 instant such as 2026-11-01T00:00:00Z");
        }
    }
}
