package io.llavastream.worker;

import io.llavastream.labels.LabelBook;
import io.llavastream.labels.LabellingMachine;
import io.llavastream.model.DecodeParts;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.MergeParts;
import io.llavastream.model.VisionParts;
import io.llavastream.model.decode.SamplingParams;
import io.llavastream.rules.StageName;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.schemas.ImageTask;
import io.llavastream.stage.CachedVisionMachine;
import io.llavastream.stage.DecodeMachine;
import io.llavastream.stage.EncoderCache;
import io.llavastream.stage.MergeMachine;
import io.llavastream.stage.StageMachine;
import io.llavastream.stage.StageMachines;
import io.llavastream.stage.VisionMachine;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;

/**
 * Builds the worker of a stage: loads only that stage's model parts (a vision pod holds no decoder), builds its
 * machine (for vision, behind its encoder cache) and runs it on the one {@link StageDriver}.
 */
public final class Workers {
    /** The stages a worker can run: vision, merge, decode. */
    public static final List<String> STAGES = StageName.workerIds();
    /** Generation length of the decode stage. */
    public static final int MAX_NEW_TOKENS = StageMachines.MAX_NEW_TOKENS;

    private Workers() {
    }

    /**
     * The worker of {@code config}'s stage over the model at {@code modelDir}. The worker owns the parts it loads
     * and releases them when {@link Worker#run} returns.
     *
     * @throws io.llavastream.model.ModelException when the model or an engine cannot be loaded
     */
    public static Worker create(Path modelDir, EngineOptions options, WorkerConfig config, SchemaRegistry registry) {
        Clock clock = Clock.systemUTC();
        int batch = config.maxBatchSize();
        return switch (config.stageName()) {
            case VISION -> {
                VisionParts p = VisionParts.load(modelDir, options);
                Labels labels;
                try {
                    labels = config.labelsEnabled() ? Labels.start(modelDir, options, config, registry) : null;
                } catch (RuntimeException e) {
                    p.close();
                    throw e;
                }
                yield visionDriver(p, labels, config, registry, clock);
            }
            case MERGE -> {
                MergeParts p = MergeParts.load(modelDir, options);
                yield driver(new MergeMachine(p, batch, config.tensorDtype(), clock), p, config, registry);
            }
            case DECODE -> {
                DecodeParts p = DecodeParts.load(io.llavastream.model.ModelDirectory.open(modelDir,
                        DecodeParts.GRAPHS), options, io.llavastream.model.adapter.AdapterSpecs.parse(
                        config.decodeAdapters(), modelDir));
                yield driver(new DecodeMachine(p, batch, SamplingParams.greedy(MAX_NEW_TOKENS), config.streamTokens(),
                        clock), p, config, registry);
            }
            default -> throw new IllegalArgumentException("no worker for stage " + config.stage());
        };
    }

    /**
     * The vision worker: the vision machine behind its encoder cache ({@link CachedVisionMachine}), which a
     * {@link VisionCacheRestorer} fills from vision-features for the partitions this worker owns.
     */
    private static Worker visionDriver(VisionParts p, Labels labels, WorkerConfig config, SchemaRegistry registry,
                                       Clock clock) {
        EncoderCache cache = new EncoderCache(config.visionCacheMaxBytes());
        StageMachine<ImageTask> cached = new CachedVisionMachine(
                new VisionMachine(p, config.maxBatchSize(), config.tensorDtype(), clock),
                p.visionModelId(), cache);
        StageMachine<ImageTask> machine = labels == null ? cached
                : new LabellingMachine(cached, labels.reader().book()::scorer);
        AutoCloseable parts = labels == null ? p : () -> {
            labels.close();
            p.close();
        };
        PartitionHook restorer = null;
        try {
            restorer = cache.maxBytes() == 0 ? PartitionHook.NONE  // no cache: nothing to restore
                    : new VisionCacheRestorer(new KafkaConsumer<>(config.restoreConsumerProperties()), registry,
                            cache, p.visionModelId(), config.visionCacheRestoreTimeout());
            StageDriver<ImageTask> driver = StageDriver.create(machine, parts, restorer, config, registry);
            driver.stats().cacheCounts(cache::hits, cache::misses);
            if (labels != null) {
                LabelBook book = labels.reader().book();
                driver.stats().labelCounts(() -> book.current().version(), book::skipped);
            }
            return driver;
        } catch (RuntimeException e) {
            if (restorer != null) {
                restorer.close();
            }
            machine.close();
            try {
                parts.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static <I extends SpecificRecord> Worker driver(StageMachine<I> machine, AutoCloseable parts,
                                                            WorkerConfig config, SchemaRegistry registry) {
        try {
            return StageDriver.create(machine, parts, config, registry);
        } catch (RuntimeException e) {
            machine.close();
            try {
                parts.close();
            } catch (Exception suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }
}
