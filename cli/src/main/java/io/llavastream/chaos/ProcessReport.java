package io.llavastream.chaos;

import io.llavastream.status.ProcessStatus;
import java.util.Optional;

/**
 * One process at the end of a run.
 *
 * @param starts          incarnations (1 + restarts)
 * @param kills           SIGKILLs it took
 * @param up              its current incarnation is alive and wrote its status in the last 10 s
 * @param unexpectedExit  how an incarnation ended that nobody killed ("exit code 1"), or null
 * @param state           the last status's state (RUNNING, or Kafka Streams' state)
 * @param heapUsedMb      heap in use at its last status, MiB
 * @param heapAfterGcMb   heap in use after the last collection, MiB
 * @param heapMaxMb       heap limit, MiB
 */
public record ProcessReport(String name, String role, String stage, String instanceId, long pid, int starts,
                            int kills, boolean up, String unexpectedExit, String state, Long records,
                            Long deadLetters, double heapUsedMb, double heapAfterGcMb, double heapMaxMb) {
    static ProcessReport of(ManagedProcess p, String unexpectedExit) {
        Optional<ProcessStatus> s = p.status();
        boolean fresh = s.map(st -> System.currentTimeMillis() - st.writtenAt() < 10_000).orElse(false);
        return new ProcessReport(p.name(), p.role(), p.stage(), p.instanceId(), p.pid(), p.starts(), p.kills(),
                p.alive() && fresh, unexpectedExit, s.map(ProcessStatus::state).orElse(null),
                s.map(ProcessStatus::records).orElse(null), s.map(ProcessStatus::deadLetters).orElse(null),
                mb(s.map(ProcessStatus::heapUsed).orElse(0L)), mb(s.map(ProcessStatus::heapUsedAfterGc).orElse(0L)),
                mb(s.map(ProcessStatus::heapMax).orElse(0L)));
    }

    private static double mb(long bytes) {
        return Math.round(bytes / 1024.0 / 1024.0 * 10) / 10.0;
    }
}
