package io.llavastream.worker;

import io.micrometer.core.instrument.MeterRegistry;

/** A stage worker's loop: {@link #run} blocks until {@link #stop} is called from another thread. */
public interface Worker {
    void run();

    void stop();

    WorkerStats stats();

    /** Binds the worker's Kafka client meters to {@code registry} (its stage meters come from {@link #stats}). */
    void bindTo(MeterRegistry registry);
}
