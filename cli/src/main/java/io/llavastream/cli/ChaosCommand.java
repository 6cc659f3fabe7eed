package io.llavastream.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.chaos.ChaosOptions;
import io.llavastream.chaos.ChaosReport;
import io.llavastream.chaos.ChaosRun;
import io.llavastream.chaos.HostileVerdict;
import io.llavastream.chaos.KillRecord;
import io.llavastream.chaos.ProcessReport;
import io.llavastream.model.ModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code chaos}: the multi-process pipeline under kills, a broker restart and hostile records, with a report. */
@Command(name = "chaos", mixinStandardHelpOptions = true, description = {
        "Start the multi-process pipeline (broker --data-dir, topology, N workers per stage, each a JVM with a stable "
                + "instance id), send posts, kill stage workers with SIGKILL while they have work in flight and "
                + "restart them, restart the broker, write the hostile corpus to every topic a process reads, and "
                + "report posts in and out, lost, duplicated, dead letters by reason and each process's heap.",
        "Exit code 0 when nothing was lost or duplicated, every kill landed in flight, every hostile record got "
                + "its outcome and every process is up; 1 otherwise. The defaults are the full size: 1,000 posts, "
                + "10 kills, 1 broker restart."})
final class ChaosCommand implements Callable<Integer> {
    @Option(names = "--posts", defaultValue = "1000", description = "Valid posts (default ${DEFAULT-VALUE}).")
    int posts;
    @Option(names = "--kills", defaultValue = "10", description = "SIGKILLs of stage workers (default ${DEFAULT-VALUE}).")
    int kills;
    @Option(names = "--kill-targets", split = ",", paramLabel = "vision|merge|decode|topology",
            description = "What to kill, in turn (default: a random stage worker each time).")
    List<String> killTargets = new ArrayList<>();
    @Option(names = "--broker-restarts", defaultValue = "1", description = "Broker restarts on its data directory "
            + "(default ${DEFAULT-VALUE}).")
    int brokerRestarts;
    @Option(names = "--registry-outage-seconds", defaultValue = "0", description = "Stop the schema registry at least "
            + "this long mid-run, killing each pipeline process in flight and restarting it meanwhile (default "
            + "${DEFAULT-VALUE}: no outage). The registry then runs in this process instead of the broker's.")
    long registryOutageSeconds;
    @Option(names = "--separate-registry", description = "Run the schema registry in this process instead of in the "
            + "broker's, so that a broker restart does not restart it (an outage implies it).")
    boolean separateRegistry;
    @Option(names = "--hostile", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write the hostile corpus mid-run (default ${DEFAULT-VALUE}).")
    boolean hostile;
    @Option(names = "--workers-per-stage", defaultValue = "2", description = "Workers per stage (default "
            + "${DEFAULT-VALUE}).")
    int workersPerStage;
    @Option(names = "--seed", defaultValue = "2026", description = "Picks the kill targets and the scenes.")
    long seed;
    @Option(names = "--timeout-seconds", defaultValue = "900", description = "How long to wait, after the last post, "
            + "for every post and dead letter (default ${DEFAULT-VALUE}).")
    long timeoutSeconds;
    @Option(names = "--kill-patience-seconds", defaultValue = "180", description = "How long a kill waits for its "
            + "target to have work in flight (default ${DEFAULT-VALUE}).")
    long killPatienceSeconds;
    @Option(names = "--post-interval-ms", defaultValue = "0", description = "Pause between posts (default "
            + "${DEFAULT-VALUE}).")
    long postIntervalMs;
    @Option(names = "--work-dir", description = "Data, state, status files and logs (default: a new temporary "
            + "directory, kept).")
    Path workDir;
    @Option(names = "--model", description = "The workers' model directory (default: the bundled demo model).")
    Path model;
    @Option(names = "--heap", defaultValue = "1g", description = "-Xmx of each process (default ${DEFAULT-VALUE}).")
    String heap;
    @Option(names = "--status-interval-ms", defaultValue = "20", description = "How often each process rewrites its "
            + "status file (default ${DEFAULT-VALUE}).")
    long statusIntervalMs;
    @Option(names = "--jvm-option", description = "More JVM options for every process (repeatable).")
    List<String> jvmOptions = new ArrayList<>();
    @Option(names = "--json", description = "One JSON object per line: each kill, each hostile record, each process, "
            + "then the summary.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        ChaosOptions options;
        try {
            options = new ChaosOptions(posts, kills, killTargets, brokerRestarts,
                    Duration.ofSeconds(registryOutageSeconds), separateRegistry, hostile, workersPerStage, seed,
                    Duration.ofSeconds(timeoutSeconds), Duration.ofSeconds(killPatienceSeconds), postIntervalMs,
                    workDir != null ? workDir : Files.createTempDirectory("llava-chaos-"),
                    model != null ? model : ModelDirectory.bundled(), heap, statusIntervalMs, jvmOptions);
        } catch (IllegalArgumentException e) {
            System.err.println("chaos: " + e.getMessage());
            return 2;
        }
        ChaosReport report = ChaosRun.run(options, m -> System.err.println("chaos: " + m));
        if (json) {
            printJson(report);
        } else {
            printText(report);
        }
        return report.ok() ? 0 : 1;
    }

    private static void printJson(ChaosReport r) {
        for (KillRecord k : r.kills()) {
            JsonLines.print(tagged("kill", k));
        }
        for (HostileVerdict h : r.hostile()) {
            JsonLines.print(tagged("hostile", h));
        }
        for (ProcessReport p : r.processes()) {
            JsonLines.print(tagged("process", p));
        }
        ObjectNode s = JsonLines.object().put("event", "summary").put("ok", r.ok()).put("run_id", r.runId())
                .put("posts_in", r.postsIn()).put("posts_out", r.postsOut()).put("lost", r.lost().size())
                .put("duplicated_posts", r.duplicatedPosts()).put("duplicated_answers", r.duplicatedAnswers())
                .put("lost_answers", r.lostAnswers().size()).put("valid_dead_letters", r.validDeadLetters())
                .put("posts_after_hostile", r.postsAfterHostile())
                .put("posts_after_hostile_captioned", r.postsAfterHostileCaptioned())
                .put("kills", r.kills().size()).put("kills_in_flight", r.killsInFlight())
                .put("broker_restarts", r.brokerRestarts().size()).put("hostile_records", r.hostile().size())
                .put("hostile_failed", r.hostileFailed()).put("wall_seconds", r.wallSeconds())
                .put("work_dir", r.workDir());
        s.set("dead_letters_by_reason", JsonLines.JSON.valueToTree(r.deadLettersByReason()));
        s.set("broker_restart_details", JsonLines.JSON.valueToTree(r.brokerRestarts()));
        s.set("registry_outage", JsonLines.JSON.valueToTree(r.registryOutage()));
        s.set("readers", JsonLines.JSON.valueToTree(r.readers()));
        s.set("unreadable", JsonLines.JSON.valueToTree(r.unreadable()));
        s.set("failures", JsonLines.JSON.valueToTree(r.failures()));
        JsonLines.print(s);
    }

    private static ObjectNode tagged(String event, Object value) {
        ObjectNode n = JsonLines.object().put("event", event);
        n.setAll((ObjectNode) JsonLines.JSON.valueToTree(value));
        return n;
    }

    private static void printText(ChaosReport r) {
        System.out.printf("chaos run %s: %s (%.0f s; logs in %s)%n", r.runId(), r.ok() ? "PASSED" : "FAILED",
                r.wallSeconds(), r.workDir());
        System.out.printf("posts in %d, out %d, lost %d, duplicated %d posts and %d answers; dead letters of valid "
                        + "posts %d; posts after the hostile records captioned %d of %d%n", r.postsIn(), r.postsOut(),
                r.lost().size(), r.duplicatedPosts(), r.duplicatedAnswers(), r.validDeadLetters(),
                r.postsAfterHostileCaptioned(), r.postsAfterHostile());
        System.out.println("dead letters by reason: " + r.deadLettersByReason());
        r.unreadable().forEach((topic, why) -> System.out.println("unreadable on " + topic + ": " + why));
        for (KillRecord k : r.kills()) {
            System.out.printf("kill %d: %-10s pid %-7d %s (read %d beyond committed, transaction %s, status in "
                            + "flight %s, group committed %d of log end %d), running again after %.1f s%n", k.index(),
                    k.target(), k.pid(), k.inFlight() ? "in flight" : "NOT IN FLIGHT", k.readNotCommitted(),
                    k.openTransaction(), k.statusInFlight(), k.committed(), k.logEnd(), k.restartMs() / 1e3);
        }
        r.brokerRestarts().forEach(b -> System.out.printf("broker restart: lag %d at stop, back after %.1f s%n",
                b.lagAtStop(), b.downMs() / 1e3));
        if (r.registryOutage() != null) {
            System.out.printf("registry outage: %.1f s, killed in flight and restarted %s meanwhile (%d of %d in "
                            + "flight), %d posts sent meanwhile%n", r.registryOutage().downMs() / 1e3,
                    r.registryOutage().restarted(), r.registryOutage().kills().stream().filter(KillRecord::inFlight)
                            .count(), r.registryOutage().kills().size(), r.registryOutage().postsSent());
        }
        System.out.printf("hostile records: %d, %d as expected%n", r.hostile().size(),
                r.hostile().size() - r.hostileFailed());
        for (HostileVerdict h : r.hostile()) {
            System.out.printf("  %-4s %-48s expected %s; got %s%n", h.ok() ? "ok" : "FAIL", h.name(), h.expected(),
                    h.got().isEmpty() ? "no dead letter" : String.join(", ", h.got()));
        }
        for (ProcessReport p : r.processes()) {
            System.out.printf("process %-10s %s, %d starts, heap %.0f MiB used (%.0f after GC) of %.0f%s%n", p.name(),
                    p.up() ? "up" : "DOWN", p.starts(), p.heapUsedMb(), p.heapAfterGcMb(), p.heapMaxMb(),
                    p.unexpectedExit() == null ? "" : "; " + p.unexpectedExit());
        }
        r.failures().forEach(f -> System.out.println("FAILURE: " + f));
    }
}
