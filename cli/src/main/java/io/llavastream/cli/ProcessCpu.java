package io.llavastream.cli;

import java.lang.management.ManagementFactory;

/** This process's CPU time, all threads together, from the JVM's operating-system bean. */
final class ProcessCpu {
    private ProcessCpu() {
    }

    /** CPU nanoseconds used so far, or -1 where the JVM cannot tell. */
    static long nanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
