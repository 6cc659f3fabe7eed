/**
 * Avro in Confluent's wire format: magic byte 0, the writer schema's 4-byte big-endian id, then the Avro binary.
 * Subjects are {@code <topic>-value} (TopicNameStrategy). {@link io.llavastream.serde.SchemaRegistry} has an
 * in-memory implementation for the tests, one kept in the broker's {@code _schemas} topic
 * ({@link io.llavastream.serde.KafkaSchemaRegistry}), and a client for the REST API that Confluent Schema Registry,
 * Apicurio, Karapace and Redpanda serve; {@link io.llavastream.serde.SchemaRegistryServer} serves that API from
 * either store for separate processes of the embedded mode. {@link io.llavastream.serde.AvroLimits} refuses length,
 * count and nesting bombs before Avro allocates.
 */
package io.llavastream.serde;
