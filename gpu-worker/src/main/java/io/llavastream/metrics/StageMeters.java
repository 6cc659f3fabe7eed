package io.llavastream.metrics;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.worker.WorkerStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToLongFunction;

/**
 * A stage worker's meters, read from its {@link WorkerStats} at scrape time, tagged {@code stage} and
 * {@code model_id}. Names follow vLLM's where one fits ({@code llava.requests.running} ~
 * {@code vllm:num_requests_running}); docs/metrics.md lists them all. Reads and writes no topic.
 */
public final class StageMeters implements MeterBinder {
    private final WorkerStats stats;
    private final Tags tags;

    public StageMeters(WorkerStats stats, String stage, String modelId) {
        this.stats = stats;
        this.tags = Tags.of("stage", stage, "model_id", modelId);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        counter(registry, "llava.requests.completed", "input records consumed and committed (dead letters included)",
                WorkerStats.Snapshot::records);
        counter(registry, "llava.outputs", "records published, dead letters not included",
                WorkerStats.Snapshot::outputs);
        counter(registry, "llava.transactions.committed", "transactions committed", WorkerStats.Snapshot::batches);
        counter(registry, "llava.transactions.aborted", "transactions aborted and retried",
                WorkerStats.Snapshot::aborts);
        counter(registry, "llava.vision.cache.hits", "images whose features came from the encoder cache",
                WorkerStats.Snapshot::cacheHits);
        counter(registry, "llava.vision.cache.misses", "images looked up in the encoder cache and encoded",
                WorkerStats.Snapshot::cacheMisses);
        Gauge.builder("llava.requests.running", stats, s -> s.snapshot().inFlight()).tags(tags)
                .description("records consumed and not yet committed").register(registry);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            FunctionCounter.builder("llava.dead.letters", stats, s -> s.deadLetters(reason))
                    .tags(tags.and("reason", reason.name()))
                    .description("dead letters written, by reason").register(registry);
        }
    }

    private void counter(MeterRegistry registry, String name, String description,
                         ToLongFunction<WorkerStats.Snapshot> value) {
        FunctionCounter.builder(name, stats, s -> value.applyAsLong(s.snapshot())).tags(tags)
                .description(description).register(registry);
    }
}
