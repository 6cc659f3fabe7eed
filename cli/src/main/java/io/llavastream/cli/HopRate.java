package io.llavastream.cli;

/**
 * A measured flow of {@code records} records of {@code recordBytes} each over {@code seconds}, which took
 * {@code cpuSeconds} of this process's CPU (all threads, garbage collection and an embedded broker included).
 */
record HopRate(int records, int recordBytes, double seconds, double cpuSeconds) {
    /** Two runs of one size as one: records, seconds and CPU added; {@code a} may be null (nothing yet). */
    static HopRate sum(HopRate a, HopRate b) {
        if (a == null) {
            return b;
        }
        if (a.recordBytes != b.recordBytes) {
            throw new IllegalArgumentException("cannot add runs of " + a.recordBytes + "-byte and " + b.recordBytes
                    + "-byte records");
        }
        return new HopRate(a.records + b.records, a.recordBytes, a.seconds + b.seconds, a.cpuSeconds + b.cpuSeconds);
    }

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
