package io.llavastream.cli;

import io.llavastream.serde.ConfluentSchemaRegistryClient;
import io.llavastream.serde.SchemaRegistry;
import picocli.CommandLine.Option;

/**
 * Where the Avro schemas live ({@code @Mixin RegistryOptions registry;}): any server of Confluent's Schema Registry
 * REST API (Confluent, Apicurio, Karapace, Redpanda), or the one {@code ./llava-stream broker} runs beside its
 * broker.
 */
final class RegistryOptions {
    static final String DEFAULT_URL = "http://127.0.0.1:8081";

    @Option(names = "--schema-registry-url", paramLabel = "URL[,URL...]", defaultValue = DEFAULT_URL,
            description = "Schema registry (Confluent REST API); user:password@ in the URL for basic auth "
                    + "(default ${DEFAULT-VALUE}, the one `broker` runs).")
    String url;

    SchemaRegistry connect() {
        return new ConfluentSchemaRegistryClient(url);
    }
}
