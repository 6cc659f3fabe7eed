package io.llavastream.cli;

import io.llavastream.kafka.EmbeddedKafkaBroker;
import io.llavastream.kafka.KafkaClientConfig;
import io.llavastream.serde.InMemorySchemaRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bench hop}: the cost of one stage hop for a LLaVA-1.5-7B-sized payload. */
@Command(name = "hop", mixinStandardHelpOptions = true,
        description = "Latency and hops/s of one stage hop (Avro + transactional send + read_committed read + "
                + "decode to floats) for a [rows, cols] fp16 tensor of random (incompressible) bytes; default "
                + "576x4096, LLaVA-1.5-7B's Hv (4.7 MB). Beside it, in the same run, the broker's raw rate for the "
                + "same bytes (plain byte[] producer and consumer, no transactions, no Avro). Runs an embedded "
                + "broker unless --bootstrap-servers is given.")
final class BenchHopCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Option(names = "--rows", defaultValue = "576", description = "Tensor rows (default ${DEFAULT-VALUE}).")
    int rows;
    @Option(names = "--cols", defaultValue = "4096", description = "Tensor columns (default ${DEFAULT-VALUE}).")
    int cols;
    @Option(names = "--count", defaultValue = "100", description = "Hops per run (default ${DEFAULT-VALUE}).")
    int count;
    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        StageHop.Result r;
        if (kafka.bootstrapServers == null && kafka.clientConfig == null) {
            try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
                r = run(KafkaClientConfig.load(null, broker.bootstrapServers()));
            }
        } else {
            r = run(kafka.load());
        }
        if (json) {
            JsonLines.print(r);
        } else {
            System.out.printf("payload %.2f MB: one hop p50 %.2f ms, p99 %.2f ms; pipelined %.1f hops/s = %.0f MB/s%n",
                    r.payloadBytes() / 1e6, r.p50Ms(), r.p99Ms(), r.hopsPerSecond(), r.mbPerSecond());
            System.out.printf("broker raw, same bytes (plain byte[] producer and consumer, no transactions, no Avro): "
                    + "%.1f records/s = %.0f MB/s; hop / raw = %.2f%n", r.rawRecordsPerSecond(), r.rawMbPerSecond(),
                    r.hopsToRaw());
            System.out.printf("process CPU (embedded broker included) per record: hop %.1f ms, raw %.1f ms; "
                    + "each alone: serialize %.2f ms, deserialize %.2f ms, tensor decode %.2f ms%n", r.cpuMsPerHop(),
                    r.rawCpuMsPerRecord(), r.serializeMs(), r.deserializeMs(), r.decodeMs());
        }
        return 0;
    }

    private StageHop.Result run(KafkaClientConfig config) {
        return new StageHop(config, new InMemorySchemaRegistry()).run(rows, cols, count);
    }
}
