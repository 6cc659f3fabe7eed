package io.llavastream.chaos;

import java.util.List;
import java.util.Map;

/**
 * What a chaos run found. Read committed, from the beginning of each topic, after the run.
 *
 * @param postsIn                  valid posts the broker acknowledged
 * @param postsOut                 of those, how many came out as captioned posts
 * @param lost                     ids of valid posts that never came out
 * @param duplicatedPosts          extra copies of captioned posts (any post id seen more than once counts each
 *                                 extra)
 * @param duplicatedAnswers        extra copies of answers (by task id)
 * @param lostAnswers              task ids of valid posts' images without an answer
 * @param deadLettersByReason      every dead letter, counted by error type
 * @param validDeadLetters         dead letters of the run's valid posts (must be 0)
 * @param postsAfterHostile        valid posts sent after the hostile records
 * @param postsAfterHostileCaptioned of those, captioned
 * @param kills                    every SIGKILL with its in-flight evidence
 * @param brokerRestarts           every broker restart
 * @param registryOutage           the registry outage, or null
 * @param hostile                  a verdict per hostile record
 * @param readers                  export and search over the reader-only topics, or null without hostile records
 * @param unreadable               per topic read for the report, records that did not deserialize (the hostile
 *                                 ones on captioned-posts among them), with the first one's error
 * @param processes                every process at the end, with its heap
 * @param wallSeconds              the whole run
 * @param failures                 what went wrong, one sentence each; empty when the run passed
 */
public record ChaosReport(String runId, String workDir, ChaosOptions options, int postsIn, int postsOut,
                          List<String> lost, int duplicatedPosts, int duplicatedAnswers, List<String> lostAnswers,
                          Map<String, Integer> deadLettersByReason, int validDeadLetters, int postsAfterHostile,
                          int postsAfterHostileCaptioned, List<KillRecord> kills, List<BrokerRestart> brokerRestarts,
                          RegistryOutage registryOutage, List<HostileVerdict> hostile, ReaderCheck readers,
                          Map<String, String> unreadable, List<ProcessReport> processes, double wallSeconds,
                          List<String> failures) {

    /** A broker restart: the lag of the worker groups when it went down, and how long until it answered again. */
    public record BrokerRestart(long at, long lagAtStop, long downMs) {
    }

    /**
     * The registry outage: how long, which processes were killed (each while it had work in flight, with its
     * evidence) and restarted while it was down, and the posts sent meanwhile.
     */
    public record RegistryOutage(long at, long downMs, List<String> restarted, List<KillRecord> kills,
                                 int postsSent) {
    }

    public boolean ok() {
        return failures.isEmpty();
    }

    public long hostileFailed() {
        return hostile.stream().filter(h -> !h.ok()).count();
    }

    public long killsInFlight() {
        return kills.stream().filter(KillRecord::inFlight).count();
    }
}
