package io.llavastream.metrics;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.StageTimings;
import io.llavastream.worker.StageEvents;
import io.llavastream.worker.WorkerStats;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import java.util.stream.IntStream;

/**
 * A stage worker's meters, tagged {@code stage} and {@code model_id}: counts read from its {@link WorkerStats} at
 * scrape time, and timers and summaries fed by its {@link StageEvents} as it works (this binder becomes the stats'
 * observer). Names follow vLLM's where one fits ({@code llava.requests.running} ~ {@code vllm:num_requests_running});
 * docs/metrics.md lists them all. Reads and writes no topic.
 */
public final class StageMeters implements MeterBinder, StageEvents {
    /** OpenTelemetry GenAI's duration buckets: 0.01 s doubling to 81.92 s. */
    static final Duration[] DURATION_BUCKETS = IntStream.range(0, 14)
            .mapToObj(i -> Duration.ofMillis(10L << i)).toArray(Duration[]::new);
    private static final double[] BATCH_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128};

    private final WorkerStats stats;
    private final Tags tags;
    private Timer queueTime;
    private Timer computeTime;
    private DistributionSummary batchSize;
    private Timer timeToFirstToken;
    private Timer timePerOutputToken;
    private Timer prefillTime;
    private Timer decodeTime;
    private Counter promptTokens;
    private Counter generationTokens;

    public StageMeters(WorkerStats stats, String stage, String modelId) {
        this.stats = stats;
        this.tags = Tags.of("stage", stage, "model_id", modelId);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        bindCounts(registry);
        queueTime = timer(registry, "llava.request.queue.time", "record timestamp to submit into the stage machine");
        computeTime = timer(registry, "llava.stage.compute.time", "one compute call of the stage machine");
        batchSize = DistributionSummary.builder("llava.batch.size").tags(tags).serviceLevelObjectives(BATCH_BUCKETS)
                .description("inputs per compute call").register(registry);
        timeToFirstToken = timer(registry, "llava.time.to.first.token",
                "post received (topology) to the first generated token");
        timePerOutputToken = timer(registry, "llava.time.per.output.token",
                "decode time per generated token after the first");
        prefillTime = timer(registry, "llava.request.prefill.time", "decoder prefill over the merged prompt");
        decodeTime = timer(registry, "llava.request.decode.time", "all decode steps after the prefill");
        promptTokens = Counter.builder("llava.prompt.tokens").tags(tags).baseUnit("tokens")
                .description("prompt tokens decoded (image positions included)").register(registry);
        generationTokens = Counter.builder("llava.generation.tokens").tags(tags).baseUnit("tokens")
                .description("tokens generated, EOS included").register(registry);
        stats.events(this);
    }

    private void bindCounts(MeterRegistry registry) {
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
        FunctionCounter.builder("llava.token.previews.sent", stats, WorkerStats::previewsSent).tags(tags)
                .description("decode: token deltas published to the answer-tokens topic and acknowledged")
                .register(registry);
        FunctionCounter.builder("llava.token.previews.dropped", stats, WorkerStats::previewsDropped).tags(tags)
                .description("decode: token deltas given up (not serializable, refused, failed or timed out)")
                .register(registry);
        Gauge.builder("llava.labels.version", stats, WorkerStats::labelsVersion).tags(tags)
                .description("vision: version of the zero-shot label set in force (label records applied since "
                        + "start; 0 with labels off or none set)").register(registry);
        FunctionCounter.builder("llava.labels.skipped", stats, WorkerStats::labelsSkipped).tags(tags)
                .description("vision: records of the labels topic skipped (not a label definition, or breaking "
                        + "the label rules)").register(registry);
        Gauge.builder("llava.requests.running", stats, WorkerStats::running).tags(tags)
                .description("inputs in the stage machine now").register(registry);
        Gauge.builder("llava.requests.waiting", stats, WorkerStats::waiting).tags(tags)
                .description("inputs read and waiting for room in the stage machine").register(registry);
        Gauge.builder("llava.requests.uncommitted", stats, s -> s.snapshot().inFlight()).tags(tags)
                .description("records consumed and not yet committed").register(registry);
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            FunctionCounter.builder("llava.dead.letters", stats, s -> s.deadLetters(reason))
                    .tags(tags.and("reason", reason.name()))
                    .description("dead letters written, by reason").register(registry);
        }
    }

    @Override
    public void queued(long millis) {
        queueTime.record(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void stepped(int inputs, long nanos) {
        batchSize.record(inputs);
        computeTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void answered(int prompt, Answer answer) {
        StageTimings t = answer.getTimings();
        promptTokens.increment(prompt);
        generationTokens.increment(t.getGeneratedTokens());
        prefillTime.record(Math.round(t.getPrefillMs() * 1e6), TimeUnit.NANOSECONDS);
        decodeTime.record(Math.round(t.getDecodeMs() * 1e6), TimeUnit.NANOSECONDS);
        if (t.getGeneratedTokens() > 1) {
            timePerOutputToken.record(Math.round(t.getDecodeMs() * 1e6 / (t.getGeneratedTokens() - 1)),
                    TimeUnit.NANOSECONDS);
        }
        long firstTokenMs = answer.getCompletedAt().toEpochMilli() - Math.round(t.getDecodeMs());
        long received = answer.getTask().getReceivedAt().toEpochMilli();
        timeToFirstToken.record(Math.max(0, firstTokenMs - received), TimeUnit.MILLISECONDS);
    }

    private Timer timer(MeterRegistry registry, String name, String description) {
        return Timer.builder(name).tags(tags).serviceLevelObjectives(DURATION_BUCKETS).description(description)
                .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description,
                         ToLongFunction<WorkerStats.Snapshot> value) {
        FunctionCounter.builder(name, stats, s -> value.applyAsLong(s.snapshot())).tags(tags)
                .description(description).register(registry);
    }
}
