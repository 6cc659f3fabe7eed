package io.llavastream.scale;

/**
 * One reading taken during a run: when, how many distinct answers had arrived, the broker's byte counters and each
 * simulated stage's busy time (all workers together), and the decode steps taken and rows they carried.
 */
record Sample(long nanos, int answers, long bytesIn, long bytesOut, long visionBusyNanos, long mergeBusyNanos,
              long decodeBusyNanos, long decodeSteps, long decodeRows) {
}
