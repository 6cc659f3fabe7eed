package io.llavastream.cli;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A producer and a consumer at once, as two stages are: {@code send} runs on its own thread while the calling thread
 * runs {@code receive}; the time is from the start of both to the end of the later one. The consumer must already
 * be positioned, so that it sees every record sent.
 */
final class ConcurrentFlow {
    private ConcurrentFlow() {
    }

    /**
     * {@code records} records of {@code recordBytes}, timed from the start of {@code send} and {@code receive} until
     * both are done, with this process's CPU time over the same span; a failure of either is thrown.
     */
    static HopRate measure(int records, int recordBytes, Runnable send, Runnable receive) {
        AtomicReference<Throwable> sendFailure = new AtomicReference<>();
        Thread sender = new Thread(() -> {
            try {
                send.run();
            } catch (Throwable t) {
                sendFailure.set(t);
            }
        }, "bench-hop-sender");
        long cpu0 = ProcessCpu.nanos();
        long t0 = System.nanoTime();
        sender.start();
        try {
            receive.run();
            sender.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the bench's sender", e);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (ProcessCpu.nanos() - cpu0) / 1e9;
        if (sendFailure.get() != null) {
            throw new IllegalStateException("the bench's sender failed: " + sendFailure.get(), sendFailure.get());
        }
        return new HopRate(records, recordBytes, seconds, cpuSeconds);
    }
}
