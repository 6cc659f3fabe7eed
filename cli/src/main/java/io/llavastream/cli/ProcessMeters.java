package io.llavastream.cli;

import io.llavastream.metrics.StageMeters;
import io.llavastream.pipeline.EmbeddedPipeline;
import io.llavastream.worker.Worker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * What each long-running command binds to its {@code /metrics} registry: a stage worker's meters (tagged
 * {@code stage}, {@code model_id}) with its consumer's and producer's Kafka client meters, and the topology's
 * Kafka Streams meters. Touches no topic.
 */
final class ProcessMeters {
    private ProcessMeters() {
    }

    /** One stage worker: its stage meters and its Kafka clients' meters. */
    static void worker(MeterRegistry registry, Worker worker, String stage, String modelId) {
        new StageMeters(worker.stats(), stage, modelId).bindTo(registry);
        worker.bindTo(registry);
    }

    /**
     * The embedded broker of this process ({@code broker}): records and bytes appended, all topics, read from its
     * JMX counters ({@link BrokerCounters}) at scrape time.
     */
    static void broker(MeterRegistry registry) {
        FunctionCounter.builder("kafka.broker.messages.in", BrokerCounters.class,
                        c -> BrokerCounters.now().messagesIn())
                .description("records appended by this broker, all topics").register(registry);
        FunctionCounter.builder("kafka.broker.in.bytes", BrokerCounters.class, c -> BrokerCounters.now().bytesIn())
                .baseUnit("bytes").description("bytes appended by this broker, all topics").register(registry);
    }

    /** An in-process pipeline ({@code demo}): every worker, as {@link #worker}, and the topology. */
    static void pipeline(MeterRegistry registry, EmbeddedPipeline pipeline, List<String> stages, String modelId) {
        List<Worker> workers = pipeline.workers();
        for (int i = 0; i < workers.size(); i++) {
            worker(registry, workers.get(i), stages.get(i), modelId);
        }
        pipeline.topology().bindTo(registry);
    }
}
