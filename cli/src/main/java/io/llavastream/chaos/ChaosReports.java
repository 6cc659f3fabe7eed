package io.llavastream.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Turns what a run saw into a {@link ChaosReport}: the counts, the verdicts, and the list of failures. */
final class ChaosReports {
    /** Everything the report is made from. */
    record Inputs(String runId, ChaosOptions options, Map<String, Integer> sent, Set<String> sentAfterHostile,
                  List<String> tasks, String validPrefix, Ledger ledger, List<KillRecord> kills,
                  List<ChaosReport.BrokerRestart> brokerRestarts, ChaosReport.RegistryOutage outage,
                  List<HostileWriter.Written> hostile, ReaderCheck readers, List<ProcessReport> processes,
                  double wallSeconds) {
    }

    private ChaosReports() {
    }

    static ChaosReport build(Inputs in) {
        Map<String, Integer> captioned = in.ledger().captioned();
        Map<String, Integer> answers = in.ledger().answers();
        List<String> lost = in.sent().keySet().stream().filter(id -> !captioned.containsKey(id)).sorted().toList();
        int postsOut = in.sent().size() - lost.size();
        int dupPosts = extras(captioned);
        int dupAnswers = extras(answers);
        List<String> lostAnswers = in.tasks().stream().filter(t -> !answers.containsKey(t)).sorted().toList();
        List<Ledger.DeadLetterSeen> deadLetters = in.ledger().deadLetters();
        int validDead = (int) deadLetters.stream().filter(d -> d.key() != null && d.key().startsWith(in.validPrefix()))
                .count();
        int afterCaptioned = (int) in.sentAfterHostile().stream().filter(captioned::containsKey).count();
        List<HostileVerdict> verdicts = HostileVerdict.judge(in.hostile(), deadLetters, captioned,
                in.ledger().failedImages(), in.readers());
        ChaosReport r = new ChaosReport(in.runId(), in.options().workDir().toString(), in.options(),
                in.sent().size(), postsOut, lost, dupPosts, dupAnswers, lostAnswers,
                new TreeMap<>(in.ledger().deadLettersByReason()), validDead, in.sentAfterHostile().size(),
                afterCaptioned, in.kills(), in.brokerRestarts(), in.outage(), verdicts, in.readers(),
                unreadable(in.ledger()), in.processes(), Math.round(in.wallSeconds() * 10) / 10.0, List.of());
        return withFailures(r);
    }

    private static ChaosReport withFailures(ChaosReport r) {
        List<String> f = new ArrayList<>();
        if (!r.lost().isEmpty()) {
            f.add(r.lost().size() + " of " + r.postsIn() + " posts lost, e.g. " + first(r.lost())
                    + (r.unreadable().isEmpty() ? "" : "; records that could not be read: " + r.unreadable()));
        }
        if (r.duplicatedPosts() > 0 || r.duplicatedAnswers() > 0) {
            f.add(r.duplicatedPosts() + " duplicated captioned posts and " + r.duplicatedAnswers()
                    + " duplicated answers");
        }
        if (!r.lostAnswers().isEmpty()) {
            f.add(r.lostAnswers().size() + " images of valid posts without an answer, e.g. " + first(r.lostAnswers()));
        }
        if (r.validDeadLetters() > 0) {
            f.add(r.validDeadLetters() + " dead letters of valid posts");
        }
        if (r.postsAfterHostileCaptioned() < r.postsAfterHostile()) {
            f.add("only " + r.postsAfterHostileCaptioned() + " of the " + r.postsAfterHostile()
                    + " posts sent after the hostile records were captioned");
        }
        for (KillRecord k : r.kills()) {
            if (k.note() != null) {
                f.add("kill " + k.index() + " (" + k.target() + ") not done: " + k.note());
                continue;
            }
            if (!k.inFlight()) {
                f.add("kill " + k.index() + " (" + k.target() + ") did not land while it had work in flight");
            }
            if (k.restartMs() < 0) {
                f.add("kill " + k.index() + ": " + k.target() + " did not run again after its restart");
            }
        }
        if (r.registryOutage() != null) {
            for (KillRecord k : r.registryOutage().kills()) {
                if (!k.inFlight()) {
                    f.add("during the registry outage, " + k.target() + " was not killed while it had work in flight");
                }
            }
        }
        for (HostileVerdict h : r.hostile()) {
            if (!h.ok()) {
                f.add("hostile " + h.name() + ": expected " + h.expected() + ", got "
                        + (h.got().isEmpty() ? "no dead letter" : String.join(", ", h.got())));
            }
        }
        for (ProcessReport p : r.processes()) {
            if (!p.up() || p.unexpectedExit() != null) {
                f.add(p.name() + " is not up at the end" + (p.unexpectedExit() == null ? ""
                        : " (" + p.unexpectedExit() + ")"));
            }
        }
        return new ChaosReport(r.runId(), r.workDir(), r.options(), r.postsIn(), r.postsOut(), r.lost(),
                r.duplicatedPosts(), r.duplicatedAnswers(), r.lostAnswers(), r.deadLettersByReason(),
                r.validDeadLetters(), r.postsAfterHostile(), r.postsAfterHostileCaptioned(), r.kills(),
                r.brokerRestarts(), r.registryOutage(), r.hostile(), r.readers(), r.unreadable(), r.processes(),
                r.wallSeconds(), List.copyOf(f));
    }

    /** "N records; first: topic-p@offset: error" per topic. */
    private static Map<String, String> unreadable(Ledger ledger) {
        Map<String, String> out = new TreeMap<>();
        ledger.unreadable().forEach((topic, n) -> out.put(topic, n + " records; first: "
                + ledger.firstUnreadable().get(topic)));
        return out;
    }

    /** Copies beyond the first, summed over keys. */
    private static int extras(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(c -> Math.max(0, c - 1)).sum();
    }

    private static String first(List<String> ids) {
        return String.join(", ", ids.subList(0, Math.min(5, ids.size())));
    }
}
