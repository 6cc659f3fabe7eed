package io.llavastream.cli;

import io.llavastream.kafka.KafkaClientConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every Kafka command shares ({@code @Mixin KafkaOptions kafka;}): where the cluster is and the standard
 * Kafka client properties to reach it, so the same command runs against the embedded broker or any cluster, SASL and
 * TLS included. Precedence is {@link KafkaClientConfig}'s: defaults, the file, {@code LLAVA_KAFKA_*} variables,
 * then {@code --bootstrap-servers}.
 */
final class KafkaOptions {
    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (default: the file's, LLAVA_KAFKA_BOOTSTRAP_SERVERS, or "
                    + KafkaClientConfig.DEFAULT_BOOTSTRAP_SERVERS + ").")
    String bootstrapServers;
    @Option(names = "--client-config", paramLabel = "FILE",
            description = "Java properties file of Kafka client settings (security.protocol, sasl.*, ssl.*, ...); "
                    + "LLAVA_KAFKA_<NAME> environment variables override it (LLAVA_KAFKA_SASL_JAAS_CONFIG sets "
                    + "sasl.jaas.config).")
    Path clientConfig;

    KafkaClientConfig load() {
        return KafkaClientConfig.load(clientConfig, bootstrapServers);
    }
}
