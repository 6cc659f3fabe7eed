package io.llavastream.scale;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The compute of a simulated stage: waits for the modelled GPU time times the time scale, and adds what it waited
 * to the stage's busy counter (shared by the stage's workers) so that the report can show how busy the simulated
 * GPUs were. A time scale of 0 waits not at all: the run then measures Kafka and the runtime alone.
 */
final class SimulatedGpu {
    private final double timeScale;
    private final AtomicLong busyNanos;

    SimulatedGpu(double timeScale, AtomicLong busyNanos) {
        if (!(timeScale >= 0)) {
            throw new IllegalArgumentException("time scale must be >= 0, got " + timeScale);
        }
        this.timeScale = timeScale;
        this.busyNanos = busyNanos;
    }

    /** Waits {@code gpuMs} of GPU time, scaled. */
    void run(double gpuMs) {
        long nanos = (long) (gpuMs * timeScale * 1e6);
        if (nanos <= 0) {
            return;
        }
        long end = System.nanoTime() + nanos;
        for (long left = nanos; left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        busyNanos.addAndGet(nanos);
    }
}
