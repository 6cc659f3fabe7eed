package io.llavastream.chaos;

import io.llavastream.model.ModelDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Chaos runs at test size: one worker per stage, short patience, progress on stderr, the report on stdout. */
final class ChaosTestSupport {
    private ChaosTestSupport() {
    }

    /** Options for a run of {@code posts} posts in {@code workDir}; the caller sets the faults. */
    static ChaosOptions options(Path workDir, int posts, int kills, List<String> targets, int brokerRestarts,
                                Duration registryOutage, boolean hostile) {
        return new ChaosOptions(posts, kills, targets, brokerRestarts, registryOutage, false, hostile, 1, 808,
                Duration.ofMinutes(4), Duration.ofMinutes(3), 0, workDir, ModelDirectory.bundled(), "768m", 20,
                List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    }

    static ChaosReport run(ChaosOptions o) throws Exception {
        ChaosReport r = ChaosRun.run(o, m -> System.err.println("chaos: " + m));
        print(r);
        return r;
    }

    /** The report's essentials, for the test log. */
    static void print(ChaosReport r) {
        System.out.printf("chaos %s: posts in %d, out %d, lost %d, duplicated %d posts / %d answers, dead letters %s, "
                        + "%d kills (%d in flight), %d hostile (%d failed), %.0f s%n", r.runId(), r.postsIn(),
                r.postsOut(), r.lost().size(), r.duplicatedPosts(), r.duplicatedAnswers(), r.deadLettersByReason(),
                r.kills().size(), r.killsInFlight(), r.hostile().size(), r.hostileFailed(), r.wallSeconds());
        r.kills().forEach(k -> System.out.println("  " + k));
        r.brokerRestarts().forEach(b -> System.out.println("  " + b));
        if (r.registryOutage() != null) {
            System.out.println("  " + r.registryOutage());
        }
        r.hostile().stream().filter(h -> !h.ok()).forEach(h -> System.out.println("  FAILED " + h));
        r.processes().forEach(p -> System.out.println("  " + p));
        r.failures().forEach(f -> System.out.println("  FAILURE " + f));
    }
}
