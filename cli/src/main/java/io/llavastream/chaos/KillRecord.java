package io.llavastream.chaos;

import java.util.Map;

/**
 * One SIGKILL and the evidence that it landed while the process had work in flight.
 *
 * @param index              1-based, in the run's order
 * @param target             the process name, e.g. decode-0
 * @param pid                the killed incarnation's pid
 * @param killedAt           epoch ms
 * @param statusInFlight     the process's own in-flight count in its last status before the kill (null when it does
 *                           not count them)
 * @param statusAgeMs        how old that status was at the kill
 * @param readNotCommitted   records the process had read (its consumer's position in that status) beyond what its
 *                           group had committed once it was dead: work it held and never committed
 * @param openTransaction    the state of the process's transaction right after the kill (ONGOING: it had written
 *                           outputs it never committed), or null when it had none open
 * @param committed          the group's committed offsets, summed over its input partitions, after the kill
 * @param logEnd             the log-end offsets of the same partitions at the kill
 * @param partitions         per partition the process held: position (from its status), committed after the kill,
 *                           log end
 * @param inFlight           readNotCommitted &gt; 0 or an ONGOING transaction
 * @param restartMs          from the kill until the restarted process was running again, ms (-1 if it was not)
 * @param note               why the kill was not done (its target had died on its own), else null
 */
public record KillRecord(int index, String target, long pid, long killedAt, Long statusInFlight, long statusAgeMs,
                         long readNotCommitted, String openTransaction, long committed, long logEnd,
                         Map<String, PartitionOffsets> partitions, boolean inFlight, long restartMs, String note) {
    /** One partition at a kill: the dead process's position, the group's committed offset after, the log end. */
    public record PartitionOffsets(long position, long committed, long logEnd) {
    }

    /** A kill that could not be done, and {@code why}. */
    static KillRecord notDone(int index, String target, String why) {
        return new KillRecord(index, target, -1, System.currentTimeMillis(), null, -1, 0, null, 0, 0, Map.of(), false,
                -1, why);
    }

    KillRecord withRestartMs(long ms) {
        return new KillRecord(index, target, pid, killedAt, statusInFlight, statusAgeMs, readNotCommitted,
                openTransaction, committed, logEnd, partitions, inFlight, ms, note);
    }
}
