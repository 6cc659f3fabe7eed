package io.llavastream.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.topics.Topics;
import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A schema registry whose store is the compacted topic {@link Topics#SCHEMAS}, the way Confluent Schema Registry
 * keeps its schemas in {@code _schemas}. Ids survive a restart of the registry. They also survive a restart of the
 * broker when the broker keeps its data ({@code broker --data-dir}). Reads and writes {@link Topics#SCHEMAS}.
 *
 * <p><b>Records</b> use Confluent's format. The key is {@code {"keytype":"SCHEMA","subject":S,"version":V,
 * "magic":1}} and the value is {@code {"subject":S,"version":V,"id":N,"schema":"<Avro schema JSON>",
 * "deleted":false}}. Some records are skipped with a warning: other key types (Confluent's CONFIG, NOOP,
 * DELETE_SUBJECT), tombstones, deleted versions, and records that do not parse. A record that binds an id to another
 * schema than an earlier record did, or a schema to another id, is skipped too. The first binding in the topic wins,
 * so every reader of the topic agrees on every id.
 *
 * <p><b>Start</b>: {@link #open} checks the topic first. It must exist, be compacted and have one partition: with
 * the delete policy, schemas would vanish after the retention time. Then it reads the topic from the beginning to
 * its end.
 *
 * <p><b>Register</b>: a schema already registered under the subject is answered from memory. Otherwise the
 * registry reads the topic to its end and assigns the schema's existing id, or the highest id + 1. It writes the
 * record in a transaction and waits for the commit. Then it reads the topic to its end again and answers with the
 * id that the topic now holds.
 *
 * <p><b>One writer</b>: every registry on the topic uses the transactional id {@link #TRANSACTIONAL_ID}. Opening
 * one fences the one before it, much as Confluent elects one leader. A fenced registry still serves the schemas it
 * has read, and reads the topic again when asked for an unknown id. It refuses new registrations with an error that
 * says so. The new writer reads the topic only after the fence, so it holds every schema the old writer committed,
 * and ids never conflict.
 *
 * <p><b>Errors</b>: a topic that cannot be read or written within the timeout is
 * {@link SerdeException.Reason#REGISTRY_UNAVAILABLE}, which is transient and never a reason to dead-letter. An id
 * that is not in the topic is {@link SerdeException.Reason#UNKNOWN_SCHEMA_ID}.
 */
public final class KafkaSchemaRegistry implements SchemaStore {
    /** The transactional id of every registry's producer on {@link Topics#SCHEMAS}: one writer at a time. */
    public static final String TRANSACTIONAL_ID = "llava-schema-registry";
    /**
     * How long one read or write of the topic may take. It is below {@link ConfluentSchemaRegistryClient}'s default
     * request timeout (10 s), so during a broker outage the server answers "unavailable" (HTTP 500) before its
     * clients give up.
     */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /**
     * How long {@link #open} waits for the first transaction to be set up. On a fresh broker, that first creates
     * the transaction state topic, which takes seconds on a loaded machine.
     */
    public static final Duration OPEN_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic = Topics.SCHEMAS.name();
    private final TopicPartition partition = new TopicPartition(topic, 0);
    private final Map<String, Object> clientConfig;
    private final Duration timeout;
    private final InMemorySchemaRegistry state = new InMemorySchemaRegistry();
    private final Consumer<byte[], byte[]> consumer;
    private Producer<byte[], byte[]> producer;
    private boolean fenced;

    private KafkaSchemaRegistry(Map<String, Object> clientConfig, Duration timeout) {
        this.clientConfig = Map.copyOf(clientConfig);
        this.timeout = timeout;
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "schema-registry-store-reader");
        this.consumer = new KafkaConsumer<>(c);
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
    }

    /**
     * Opens the registry on {@link Topics#SCHEMAS}: checks the topic, fences any other registry on it, and reads
     * it to its end.
     *
     * @param clientConfig Kafka client settings ({@code bootstrap.servers}, security)
     * @param timeout      the longest one read or write of the topic may take ({@link #DEFAULT_TIMEOUT})
     * @throws IllegalStateException when the topic is missing or not compacted with one partition
     * @throws SerdeException        REGISTRY_UNAVAILABLE when the broker does not answer within the timeout
     */
    public static KafkaSchemaRegistry open(Map<String, Object> clientConfig, Duration timeout) {
        SchemasTopicCheck.check(clientConfig, timeout);
        KafkaSchemaRegistry registry = new KafkaSchemaRegistry(clientConfig, timeout);
        try {
            synchronized (registry) {
                registry.producer(OPEN_TIMEOUT);
                registry.catchUp();
            }
        } catch (RuntimeException e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        Integer id = state.registered(subject, schema);
        if (id != null) {
            return id;
        }
        catchUp();
        for (int attempt = 0; attempt < 3 && id == null; attempt++) {
            id = state.registered(subject, schema);
            if (id == null) {
                write(subject, state.versions(subject).size() + 1, state.idFor(schema), schema);
                catchUp();
                id = state.registered(subject, schema);
            }
        }
        if (id == null) {
            throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "the schema of "
                    + schema.getFullName() + " under subject '" + subject + "' was written to " + topic
                    + " three times, and each time the topic already bound its id otherwise");
        }
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        try {
            return state.schemaById(id);
        } catch (SerdeException unknown) {
            synchronized (this) {
                catchUp(); // another registry may have written it since
            }
            return state.schemaById(id);
        }
    }

    @Override
    public List<String> subjects() {
        return state.subjects();
    }

    @Override
    public List<Integer> versions(String subject) {
        return state.versions(subject);
    }

    @Override
    public synchronized void close() {
        consumer.close(Duration.ofSeconds(1));
        if (producer != null) {
            producer.close(Duration.ofSeconds(1));
            producer = null;
        }
    }

    /** Reads the topic from the current position to its end (the last committed offset), applying each record. */
    private void catchUp() {
        long end;
        try {
            end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new TimeoutException("still at offset "
                            + consumer.position(partition) + " of " + end + " after " + timeout.toMillis() + " ms");
                }
                consumer.poll(POLL).forEach(this::apply);
            }
        } catch (KafkaException e) {
            throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "cannot read the schema store "
                    + "topic " + topic + " at " + clientConfig.get("bootstrap.servers") + ": " + e, e);
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        try {
            JsonNode key = JSON.readTree(r.key());
            if (key == null || !"SCHEMA".equals(key.path("keytype").asText()) || r.value() == null) {
                return; // Confluent's other record types, and hard deletes, which this registry does not make
            }
            JsonNode value = JSON.readTree(r.value());
            String subject = value.path("subject").asText("");
            int id = value.path("id").asInt(-1);
            String type = value.path("schemaType").asText("AVRO");
            if (value.path("deleted").asBoolean(false) || subject.isEmpty() || id <= 0 || !type.equals("AVRO")
                    || !value.path("schema").isTextual()) {
                LOG.warn("{} offset {}: skipped: not a live AVRO schema with a subject and a positive id: {}", topic,
                        r.offset(), value);
                return;
            }
            Schema schema = new Schema.Parser().parse(value.get("schema").asText());
            if (!state.add(subject, id, schema)) {
                LOG.warn("{} offset {}: skipped: id {} or schema {} of subject '{}' is already bound otherwise",
                        topic, r.offset(), id, schema.getFullName(), subject);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{} offset {}: skipped a record that is not a schema registration: {}", topic, r.offset(),
                    e.toString());
        }
    }

    /** Writes one registration in a transaction and waits for its commit. */
    private void write(String subject, int version, int id, Schema schema) {
        ObjectNode key = JSON.createObjectNode().put("keytype", "SCHEMA").put("subject", subject)
                .put("version", version).put("magic", 1);
        ObjectNode value = JSON.createObjectNode().put("subject", subject).put("version", version).put("id", id)
                .put("schema", schema.toString()).put("deleted", false);
        Producer<byte[], byte[]> p = producer(timeout);
        try {
            p.beginTransaction();
            p.send(new ProducerRecord<>(topic, 0, bytes(key), bytes(value)));
            p.commitTransaction();
        } catch (ProducerFencedException | InvalidProducerEpochException e) {
            fenced = true;
            dropProducer();
            throw fenced();
        } catch (KafkaException e) {
            dropProducer(); // a new one aborts whatever this one left open
            throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "cannot write schema id " + id
                    + " of subject '" + subject + "' to " + topic + " at " + clientConfig.get("bootstrap.servers")
                    + ": " + e, e);
        }
    }

    /**
     * The transactional producer; creating one fences any other registry on the topic. Setting it up is retried
     * (Kafka allows retrying initTransactions after a timeout) for at most {@code patience}.
     */
    private Producer<byte[], byte[]> producer(Duration patience) {
        if (fenced) {
            throw fenced();
        }
        if (producer == null) {
            Map<String, Object> c = new HashMap<>(clientConfig);
            c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
            c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID);
            c.put(ProducerConfig.ACKS_CONFIG, "all");
            c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
            c.put(ProducerConfig.CLIENT_ID_CONFIG, "schema-registry-store-writer");
            Producer<byte[], byte[]> p = new KafkaProducer<>(c);
            long deadline = System.nanoTime() + patience.toNanos();
            try {
                while (true) {
                    try {
                        p.initTransactions();
                        break;
                    } catch (TimeoutException e) {
                        if (System.nanoTime() > deadline) {
                            throw e;
                        }
                    }
                }
            } catch (KafkaException e) {
                p.close(Duration.ZERO);
                throw new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "cannot start writing to the "
                        + "schema store topic " + topic + " at " + clientConfig.get("bootstrap.servers") + ": " + e, e);
            }
            producer = p;
        }
        return producer;
    }

    private void dropProducer() {
        if (producer != null) {
            producer.close(Duration.ZERO);
            producer = null;
        }
    }

    private SerdeException fenced() {
        return new SerdeException(SerdeException.Reason.REGISTRY_UNAVAILABLE, "this schema registry no longer "
                + "writes " + topic + ": another registry opened on the same topic (transactional id "
                + TRANSACTIONAL_ID + ") and took over; register schemas there, or restart this one to take over again");
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON " + node, e);
        }
    }
}
