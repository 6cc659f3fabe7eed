package io.llavastream.worker;

/** A stage worker's loop: {@link #run} blocks until {@link #stop} is called from another thread. */
public interface Worker {
    void run();

    void stop();

    WorkerStats stats();
}
