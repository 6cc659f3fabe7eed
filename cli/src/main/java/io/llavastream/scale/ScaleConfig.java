package io.llavastream.scale;

import io.llavastream.topics.Topics;
import java.time.Duration;
import java.util.List;

/**
 * What a simulation runs.
 *
 * @param model          latency model, batches, sizes
 * @param workers        workers per stage, one run each, ascending; scaling is against the first
 * @param postsPerWorker posts per run per worker of a stage (a run with w workers sends w x this many)
 * @param feedFor        if not null, each run sends posts for this long instead (at most w x postsPerWorker)
 * @param timeScale      simulated GPU time multiplier; null: chosen from the ceiling run so that the largest worker
 *                       count needs {@code headroom} of the measured ceiling
 * @param ceiling        whether to measure the ceiling first: the largest worker count with no compute at all
 * @param headroom       share of the ceiling the largest worker count should need when the time scale is chosen
 * @param timeout        longest wait for a run's answers after its last post; null: from the model's expected rate
 * @param receiveBufferBytes the stage workers' {@code receive.buffer.bytes}; -1 (the default of {@code bench
 *                       scale}) lets the OS size it. Kafka's default, 65,536, starves a decode worker of 4.7 MB
 *                       records: its driver polls once per step, and a poll reads about one buffer's worth.
 */
public record ScaleConfig(ScaleModel model, List<Integer> workers, int postsPerWorker, Duration feedFor,
                          Double timeScale, boolean ceiling, double headroom, Duration timeout,
                          int receiveBufferBytes) {
    public ScaleConfig {
        workers = List.copyOf(workers);
        if (workers.isEmpty() || workers.stream().anyMatch(w -> w < 1)) {
            throw new IllegalArgumentException("worker counts must be >= 1, got " + workers);
        }
        for (int i = 1; i < workers.size(); i++) {
            if (workers.get(i) <= workers.get(i - 1)) {
                throw new IllegalArgumentException("worker counts must ascend, got " + workers);
            }
        }
        if (workers.get(workers.size() - 1) > Topics.BENCH_SCALE_PARTITIONS) {
            throw new IllegalArgumentException("at most " + Topics.BENCH_SCALE_PARTITIONS
                    + " workers per stage (the bench-scale topics' partitions), got " + workers);
        }
        if (postsPerWorker < 1) {
            throw new IllegalArgumentException("posts per worker must be >= 1, got " + postsPerWorker);
        }
        if (timeScale != null && !(timeScale >= 0)) {
            throw new IllegalArgumentException("time scale must be >= 0, got " + timeScale);
        }
        if (timeScale == null && !ceiling) {
            throw new IllegalArgumentException("an automatic time scale needs the ceiling run");
        }
        if (receiveBufferBytes < -1) {
            throw new IllegalArgumentException("receive buffer must be -1 (the OS decides) or >= 0 bytes, got "
                    + receiveBufferBytes);
        }
        if (!(headroom > 0 && headroom <= 1)) {
            throw new IllegalArgumentException("headroom must be in (0, 1], got " + headroom);
        }
    }

    int maxWorkers() {
        return workers.get(workers.size() - 1);
    }
}
