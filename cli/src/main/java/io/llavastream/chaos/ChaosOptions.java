package io.llavastream.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * What a chaos run does.
 *
 * @param posts            valid posts to send, in slices between the faults
 * @param kills            SIGKILLs, each while its target has work in flight, each followed by a restart
 * @param killTargets      what to kill, cycled through: a stage (vision, merge, decode: one of its workers at
 *                         random) or topology; empty = a random stage worker each time
 * @param brokerRestarts   clean broker restarts on the same data directory, mid-run
 * @param registryOutage   how long the schema registry is down mid-run (zero: never); needs a separate registry
 * @param separateRegistry the registry runs in this JVM instead of in the broker's process (so that it can go down
 *                         alone, and a broker restart does not restart it); forced by an outage
 * @param hostile          write the hostile corpus mid-run
 * @param workersPerStage  N
 * @param seed             picks the kill targets and the scenes
 * @param completionTimeout how long to wait, after the last post is sent, for every post and dead letter
 * @param killPatience     how long a kill waits for its target to have work in flight
 * @param postIntervalMs   pause between two posts of a slice
 * @param workDir          where data, state, status files and logs go
 * @param modelDir         the workers' model
 * @param heap             -Xmx of each process
 * @param statusIntervalMs how often each process rewrites its status file
 * @param jvmOptions       more JVM options for every process
 */
public record ChaosOptions(int posts, int kills, List<String> killTargets, int brokerRestarts,
                           Duration registryOutage, boolean separateRegistry, boolean hostile, int workersPerStage, long seed,
                           Duration completionTimeout, Duration killPatience, long postIntervalMs, Path workDir,
                           Path modelDir, String heap, long statusIntervalMs, List<String> jvmOptions) {
    public ChaosOptions {
        killTargets = List.copyOf(killTargets);
        separateRegistry = separateRegistry || !registryOutage.isZero();
        jvmOptions = List.copyOf(jvmOptions);
        for (String t : killTargets) {
            if (!List.of("vision", "merge", "decode", "topology").contains(t)) {
                throw new IllegalArgumentException("kill target must be vision, merge, decode or topology, got " + t);
            }
        }
        if (posts < 1 || kills < 0 || brokerRestarts < 0 || workersPerStage < 1 || workersPerStage > 6) {
            throw new IllegalArgumentException("posts >= 1, kills >= 0, broker restarts >= 0 and 1..6 workers per "
                    + "stage expected, got " + posts + ", " + kills + ", " + brokerRestarts + ", " + workersPerStage);
        }
    }

    /** The full size of the acceptance criteria: 1,000 posts, 10 kills, 1 broker restart, the hostile corpus. */
    public static ChaosOptions fullSize(Path workDir, Path modelDir) {
        return new ChaosOptions(1000, 10, List.of(), 1, Duration.ZERO, false, true, 2, 2026, Duration.ofMinutes(15),
                Duration.ofSeconds(180), 0, workDir, modelDir, "1g", 20, List.of());
    }

    /** Whether the registry goes down mid-run. */
    public boolean registryOutageDue() {
        return !registryOutage.isZero();
    }

    public ChaosOptions withoutOutage() {
        return new ChaosOptions(posts, kills, killTargets, brokerRestarts, Duration.ZERO, false, hostile,
                workersPerStage,
                seed, completionTimeout, killPatience, postIntervalMs, workDir, modelDir, heap, statusIntervalMs,
                jvmOptions);
    }

    public ChaosOptions withPosts(int n) {
        return new ChaosOptions(n, kills, killTargets, brokerRestarts, registryOutage, separateRegistry, hostile,
                workersPerStage, seed,
                completionTimeout, killPatience, postIntervalMs, workDir, modelDir, heap, statusIntervalMs,
                jvmOptions);
    }
}
