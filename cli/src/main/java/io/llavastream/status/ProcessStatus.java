package io.llavastream.status;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * What a status file holds, in snake_case JSON. Counts a role does not have are null.
 *
 * @param role            broker, topology or worker
 * @param stage           the worker's stage (vision, merge, decode), "topology", or null for the broker
 * @param instanceId      the process's stable id within its role, or null when it has none
 * @param pid             the operating system's process id
 * @param state           what the process is doing: RUNNING, or Kafka Streams' state for the topology
 * @param records         input records consumed and committed
 * @param outputs         records published, dead letters not included
 * @param deadLetters     input records dead-lettered
 * @param aborts          transactions aborted and retried
 * @param inFlight        input records consumed and not yet committed, as the process counts them; null when it
 *                        does not count them
 * @param positions       per "topic-partition", the offset after the last record the process's consumer has
 *                        read (its position); compared with the group's committed offsets it shows the records
 *                        read but not committed
 * @param heapUsed        heap in use, bytes
 * @param heapUsedAfterGc heap in use after the last collection of each pool, bytes (what survives: the number
 *                        that grows when something leaks)
 * @param heapMax         the heap limit, bytes
 * @param writtenAt       when this status was written, epoch ms
 */
public record ProcessStatus(String role, String stage, String instanceId, long pid, String state, Long records,
                            Long outputs, Long deadLetters, Long aborts, Long inFlight, Map<String, Long> positions,
                            long heapUsed, long heapUsedAfterGc, long heapMax, long writtenAt) {
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public ProcessStatus {
        positions = positions == null ? Map.of() : Map.copyOf(positions);
    }

    /**
     * The status of this JVM now: its pid and heap, with the given role and counts.
     *
     * @param counts records, outputs, dead letters, aborts, in flight (each may be null)
     */
    public static ProcessStatus now(String role, String stage, String instanceId, String state, Counts counts,
                                    Map<String, Long> positions) {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        return new ProcessStatus(role, stage, instanceId, ProcessHandle.current().pid(), state, counts.records(),
                counts.outputs(), counts.deadLetters(), counts.aborts(), counts.inFlight(), positions, heap.getUsed(),
                usedAfterGc(), heap.getMax(), System.currentTimeMillis());
    }

    /** The counts of a status; any may be null when the role has no such count. */
    public record Counts(Long records, Long outputs, Long deadLetters, Long aborts, Long inFlight) {
        public static final Counts NONE = new Counts(null, null, null, null, null);
    }

    /** The status in {@code file}, or empty when it does not exist yet or is being replaced. */
    public static Optional<ProcessStatus> read(Path file) {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file), ProcessStatus.class));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public byte[] toJson() {
        try {
            return JSON.writeValueAsBytes(this);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the status as JSON: " + this, e);
        }
    }

    private static long usedAfterGc() {
        long used = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            MemoryUsage u = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
            used += u == null ? 0 : u.getUsed();
        }
        return used;
    }
}
