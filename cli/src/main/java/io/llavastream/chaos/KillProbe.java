package io.llavastream.chaos;

import io.llavastream.status.ProcessStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.common.TopicPartition;

/**
 * Kills a process with SIGKILL at a moment it has work in flight, and proves it afterwards.
 *
 * <p>Before: waits for a fresh status file whose consumer positions are ahead of the group's committed offsets on
 * the partitions the process holds (it has read records it has not committed), then kills at once. After: waits
 * until the dead process's transaction is no longer being committed or aborted (a commit already on its way would
 * still move the committed offsets), then compares. The kill landed in flight when the dead process had read past
 * what its group committed, or left a transaction ONGOING (outputs written, never committed).
 */
final class KillProbe {
    private final GroupProbe probe;

    KillProbe(GroupProbe probe) {
        this.probe = probe;
    }

    /** Waits up to {@code patience} for work in flight, kills {@code p}, and returns the evidence. */
    KillRecord kill(int index, ManagedProcess p, Duration patience) throws InterruptedException {
        String group = Groups.of(p);
        Evidence before = awaitInFlight(p, group, patience);
        long pid = p.pid();
        long killedAt = System.currentTimeMillis();
        p.kill();
        Map<String, TransactionDescription> txns = settledTransactions(p);
        Map<TopicPartition, Long> committed = inputs(p, probe.committed(group));
        before.assigned.forEach(tp -> committed.putIfAbsent(tp, 0L));
        Map<TopicPartition, Long> logEnd = probe.logEnd(committed.keySet());
        Map<String, KillRecord.PartitionOffsets> parts = new TreeMap<>();
        long readNotCommitted = 0;
        for (TopicPartition tp : before.assigned) {
            Long position = before.positions.get(tp.toString());
            long c = committed.getOrDefault(tp, 0L);
            if (position != null) {
                readNotCommitted += Math.max(0, position - c);
                parts.put(tp.toString(), new KillRecord.PartitionOffsets(position, c, logEnd.getOrDefault(tp, -1L)));
            }
        }
        String open = openTransaction(txns, killedAt);
        ProcessStatus s = before.status;
        return new KillRecord(index, p.name(), pid, killedAt, s == null ? null : s.inFlight(),
                s == null ? -1 : killedAt - s.writtenAt(), readNotCommitted, open, sum(committed), sum(logEnd), parts,
                readNotCommitted > 0 || "ONGOING".equals(open), -1, null);
    }

    /** What the process held at its last fresh status: the status, its partitions, its positions. */
    private record Evidence(ProcessStatus status, Set<TopicPartition> assigned, Map<String, Long> positions) {
    }

    private Evidence awaitInFlight(ManagedProcess p, String group, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        long lastWritten = -1;
        Evidence last = new Evidence(null, Set.of(), Map.of());
        while (System.nanoTime() < deadline) {
            Optional<ProcessStatus> s = p.status();
            if (s.isEmpty() || s.get().writtenAt() == lastWritten) {
                Thread.sleep(5);
                continue;
            }
            lastWritten = s.get().writtenAt();
            try {
                last = new Evidence(s.get(), probe.assignment(group, p.instanceId()), s.get().positions());
                if (ahead(last, inputs(p, probe.committed(group)))) {
                    return last;
                }
            } catch (IllegalStateException e) {
                // the group is rebalancing or the broker is busy: look again at the next status
            }
        }
        return last;
    }

    private static boolean ahead(Evidence e, Map<TopicPartition, Long> committed) {
        for (TopicPartition tp : e.assigned) {
            Long position = e.positions.get(tp.toString());
            if (position != null && position > committed.getOrDefault(tp, 0L)) {
                return true;
            }
        }
        return false;
    }

    /** The process's transactions once none is half-way through a commit or an abort (at most 10 s). */
    private Map<String, TransactionDescription> settledTransactions(ManagedProcess p) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Map<String, TransactionDescription> txns = Map.of();
        while (System.nanoTime() < deadline) {
            try {
                txns = probe.transactions(id -> Groups.ownsTransaction(p, id));
            } catch (IllegalStateException e) {
                Thread.sleep(100);
                continue;
            }
            if (txns.values().stream().noneMatch(t -> t.state().toString().startsWith("PREPARE"))) {
                return txns;
            }
            Thread.sleep(50);
        }
        return txns;
    }

    /** "ONGOING" when a transaction of the process was open and had begun before the kill, else its state or null. */
    private static String openTransaction(Map<String, TransactionDescription> txns, long killedAt) {
        String state = null;
        for (TransactionDescription t : txns.values()) {
            boolean begunBefore = t.transactionStartTimeMs().isPresent()
                    && t.transactionStartTimeMs().getAsLong() <= killedAt;
            if (t.state().toString().equals("ONGOING") && begunBefore) {
                return "ONGOING";
            }
            state = state == null ? t.state().toString() : state;
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
        for (TopicPartition tp : probe.partitions(topic)) {
            out.put(tp, committed.getOrDefault(tp, 0L));
        }
        return out;
    }

    private static long sum(Map<TopicPartition, Long> m) {
        return m.values().stream().mapToLong(Long::longValue).sum();
    }
}
