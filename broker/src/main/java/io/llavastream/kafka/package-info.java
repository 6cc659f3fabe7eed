/**
 * Kafka plumbing shared by every command: {@link io.llavastream.kafka.EmbeddedKafkaBroker}, a real single-node
 * Kafka 4.x KRaft broker started in-process on 127.0.0.1 for the demo, the tests and {@code ./llava-stream broker};
 * and {@link io.llavastream.kafka.KafkaClientConfig}, which merges defaults, a client properties file, environment
 * overrides and {@code --bootstrap-servers} into the settings of producers, consumers, admin clients and Streams,
 * so that the same commands run against any cluster, SASL and TLS included. {@link io.llavastream.topics.LargeRecords}
 * holds the client settings that records up to {@link io.llavastream.topics.Topics#MAX_RECORD_BYTES} need.
 */
package io.llavastream.kafka;
