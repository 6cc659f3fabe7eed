package io.llavastream.chaos;

import io.llavastream.status.ProcessStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionState;
import org.apache.kafka.common.TopicPartition;

/**
 * Kills a process with SIGKILL at a moment it has work in flight, and proves it.
 *
 * <p>It watches the process until it looks busy (the newest status file shows positions beyond its group's
 * committed offsets on the partitions it holds, or, for the topology, which commits every 100 ms, a transaction of
 * its own is open), then freezes it (SIGSTOP), so that nothing it does can change the evidence, and checks while it
 * is frozen: once no transaction of the process is half-way through a commit, either the positions of its last
 * status are beyond the group's committed offsets (it had read records it never committed) or a transaction it
 * began is ONGOING (it had written outputs it never committed). Then SIGKILL, on the frozen process: it dies in
 * exactly the state that was checked. When the check fails it thaws the process (SIGCONT) and watches again.
 */
final class KillProbe {
    /** How often a waiting kill hands its caller the chance to send more work, in ms. */
    static final long FEED_MS = 300;
    private final GroupProbe probe;
    private final Map<String, List<TopicPartition>> partitions = new HashMap<>();

    KillProbe(GroupProbe probe) {
        this.probe = probe;
    }

    /** Waits up to {@code patience} for work in flight, kills {@code p} (anyway, at the end), returns the evidence. */
    KillRecord kill(int index, ManagedProcess p, Duration patience) throws InterruptedException {
        return kill(index, p, patience, () -> { });
    }

    /**
     * As {@link #kill(int, ManagedProcess, Duration)}, calling {@code whileWaiting} every {@value #FEED_MS} ms until
     * the kill lands: a caller that trickles work in this way makes a busy window come back again and again, where
     * one burst may be done before the probe sees it (a fast stage on a loaded machine).
     */
    KillRecord kill(int index, ManagedProcess p, Duration patience, Runnable whileWaiting)
            throws InterruptedException {
        String group = Groups.of(p);
        long nextFeed = 0;
        long deadline = System.nanoTime() + patience.toNanos();
        Set<TopicPartition> assigned = Set.of();
        long assignedAt = 0;
        while (System.nanoTime() < deadline) {
            if (System.nanoTime() >= nextFeed) {
                whileWaiting.run();
                nextFeed = System.nanoTime() + FEED_MS * 1_000_000L;
            }
            try {
                if (assigned.isEmpty() || System.nanoTime() - assignedAt > 2_000_000_000L) {
                    assigned = probe.assignment(group, p.instanceId());
                    assignedAt = System.nanoTime();
                }
                if (looksBusy(p, group, assigned)) {
                    p.freeze();
                    KillRecord r = evidence(index, p, group, assigned);
                    if (r.inFlight()) {
                        p.kill();
                        return r;
                    }
                    p.thaw();
                }
            } catch (IllegalStateException e) {
                assignedAt = 0;  // rebalancing, or the broker is busy: look again
                thawQuietly(p);
            }
            Thread.sleep(2);
        }
        p.freeze();
        KillRecord r = evidence(index, p, group, assigned);
        p.kill();
        return r;
    }

    /** The cheap look: positions of the newest status beyond the committed offsets, or an open transaction. */
    private boolean looksBusy(ManagedProcess p, String group, Set<TopicPartition> assigned) {
        Map<TopicPartition, Long> committed = inputs(p, probe.committed(group));
        Optional<ProcessStatus> s = p.status();
        if (s.isPresent() && readNotCommitted(s.get().positions(), assigned, committed) > 0) {
            return true;
        }
        return !p.isWorker() && probe.transactions(id -> Groups.ownsTransaction(p, id)).values().stream()
                .anyMatch(t -> t.state() == TransactionState.ONGOING);
    }

    /** The evidence on a frozen process. */
    private KillRecord evidence(int index, ManagedProcess p, String group, Set<TopicPartition> assigned)
            throws InterruptedException {
        long frozenAt = System.currentTimeMillis();
        Map<String, TransactionDescription> txns = settledTransactions(p);
        Map<TopicPartition, Long> committed = inputs(p, probe.committed(group));
        assigned.forEach(tp -> committed.putIfAbsent(tp, 0L));
        Map<TopicPartition, Long> logEnd = probe.logEnd(committed.keySet());
        ProcessStatus s = p.status().orElse(null);
        Map<String, Long> positions = s == null ? Map.of() : s.positions();
        Map<String, KillRecord.PartitionOffsets> parts = new TreeMap<>();
        for (TopicPartition tp : assigned) {
            Long position = positions.get(tp.toString());
            if (position != null) {
                parts.put(tp.toString(), new KillRecord.PartitionOffsets(position, committed.get(tp),
                        logEnd.getOrDefault(tp, -1L)));
            }
        }
        long read = readNotCommitted(positions, assigned, committed);
        String open = openTransaction(txns, frozenAt);
        return new KillRecord(index, p.name(), p.pid(), frozenAt, s == null ? null : s.inFlight(),
                s == null ? -1 : frozenAt - s.writtenAt(), read, open, sum(committed), sum(logEnd), parts,
                read > 0 || TransactionState.ONGOING.name().equals(open), -1, null);
    }

    private static long readNotCommitted(Map<String, Long> positions, Set<TopicPartition> assigned,
                                         Map<TopicPartition, Long> committed) {
        long n = 0;
        for (TopicPartition tp : assigned) {
            Long position = positions.get(tp.toString());
            if (position != null) {
                n += Math.max(0, position - committed.getOrDefault(tp, 0L));
            }
        }
        return n;
    }

    /** The process's transactions once none is half-way through a commit or an abort (at most 10 s). */
    private Map<String, TransactionDescription> settledTransactions(ManagedProcess p) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Map<String, TransactionDescription> txns = Map.of();
        while (System.nanoTime() < deadline) {
            txns = probe.transactions(id -> Groups.ownsTransaction(p, id));
            if (txns.values().stream().noneMatch(t -> t.state().name().startsWith("PREPARE"))) {
                return txns;
            }
            Thread.sleep(20);
        }
        return txns;
    }

    /** "ONGOING" when a transaction of the process began before {@code at} and is still open, else a state or null. */
    private static String openTransaction(Map<String, TransactionDescription> txns, long at) {
        String state = null;
        for (TransactionDescription t : txns.values()) {
            boolean begunBefore = t.transactionStartTimeMs().isPresent()
                    && t.transactionStartTimeMs().getAsLong() <= at;
            if (t.state() == TransactionState.ONGOING && begunBefore) {
                return TransactionState.ONGOING.name();
            }
            state = state == null ? t.state().name() : state;
        }
        return state;
    }

    /**
     * The group's committed offsets on the process's input topic, every partition (0 where it never committed), for a
     * worker; all the group's committed offsets for the topology.
     */
    private Map<TopicPartition, Long> inputs(ManagedProcess p, Map<TopicPartition, Long> committed) {
        String topic = Groups.inputTopic(p);
        if (topic == null) {
            return new HashMap<>(committed);
        }
        Map<TopicPartition, Long> out = new HashMap<>();
        for (TopicPartition tp : partitions.computeIfAbsent(topic, probe::partitions)) {
            out.put(tp, committed.getOrDefault(tp, 0L));
        }
        return out;
    }

    private static void thawQuietly(ManagedProcess p) throws InterruptedException {
        try {
            p.thaw();
        } catch (IllegalStateException e) {
            // it was not frozen, or it is gone
        }
    }

    private static long sum(Map<TopicPartition, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }
}
