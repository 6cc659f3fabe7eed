package io.llavastream.serde;

import java.util.List;

/**
 * A registry that holds its schemas itself, rather than asking a server: what {@link SchemaRegistryServer} serves.
 * {@link InMemorySchemaRegistry} keeps them for one JVM; {@link KafkaSchemaRegistry} keeps them in a topic.
 */
public interface SchemaStore extends SchemaRegistry, AutoCloseable {
    /** The subjects with at least one schema, sorted. */
    List<String> subjects();

    /** The schema ids registered under {@code subject}: element i is version i + 1; empty for an unknown subject. */
    List<Integer> versions(String subject);

    /** Releases what the store holds (clients, threads); nothing for an in-memory store. */
    @Override
    default void close() {
    }
}
