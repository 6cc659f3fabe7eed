package io.llavastream.cli;

/**
 * A measured flow of {@code records} records of {@code recordBytes} each over {@code seconds}, which took
 * {@code cpuSeconds} of this process's CPU (all threads, garbage collection and an embedded broker included).
 */
record HopRate(int records, int recordBytes, double seconds, double cpuSeconds) {
    double recordsPerSecond() {
        return records / seconds;
    }

    /** Megabytes (10^6 bytes) of record values per second. */
    double mbPerSecond() {
        return records * (double) recordBytes / seconds / 1e6;
    }

    /** This process's CPU milliseconds per record: on a busy machine a steadier measure than the rate. */
    double cpuMsPerRecord() {
        return cpuSeconds * 1e3 / records;
    }
}
