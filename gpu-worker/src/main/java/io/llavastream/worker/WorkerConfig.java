package io.llavastream.worker;

import io.llavastream.topics.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A stage worker's settings, declared once. Any other key (security.protocol, sasl.*, ssl.*, fetch sizes, ...) is
 * a Kafka client property and is passed to both the consumer and the producer; the settings that exactly-once
 * depends on are forced and cannot be overridden.
 */
public final class WorkerConfig extends AbstractConfig {
    public static final String STAGE = "stage";
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String GROUP_ID = "group.id";
    public static final String INSTANCE_ID = "instance.id";
    public static final String MAX_BATCH_SIZE = "max.batch.size";
    public static final String BATCH_LINGER_MS = "batch.linger.ms";
    public static final String POLL_TIMEOUT_MS = "poll.timeout.ms";
    public static final String ABORT_BACKOFF_MAX_MS = "abort.backoff.max.ms";
    public static final String MODEL_DIR = "model.dir";
    public static final String ENGINE_THREADS = "engine.threads";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(STAGE, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, ValidString.in("vision", "merge", "decode"),
                    Importance.HIGH, "Which stage this process runs.")
            .define(BOOTSTRAP_SERVERS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                    "Kafka brokers, host:port[,host:port...].")
            .define(GROUP_ID, Type.STRING, null, Importance.MEDIUM,
                    "Consumer group; default llava-<stage>. Every process of a stage shares it.")
            .define(INSTANCE_ID, Type.STRING, null, Importance.MEDIUM, "This process's id within the stage, part of "
                    + "its transactional.id (llava-<stage>-<instance.id>); default a random UUID. Give a restarted "
                    + "process its old id so it fences the dead one at once instead of waiting for the broker to "
                    + "time out the dead one's open transaction, which holds back read_committed consumers.")
            .define(MAX_BATCH_SIZE, Type.INT, 8, Range.atLeast(1), Importance.HIGH,
                    "Most records per compute call (the micro-batch).")
            .define(BATCH_LINGER_MS, Type.LONG, 10L, Range.atLeast(0), Importance.MEDIUM, "How long the first "
                    + "record of a batch may wait for more before a partial batch is processed, ms.")
            .define(POLL_TIMEOUT_MS, Type.LONG, 100L, Range.atLeast(1), Importance.LOW,
                    "Longest wait in one poll when nothing is pending, ms; bounds how fast shutdown is seen.")
            .define(ABORT_BACKOFF_MAX_MS, Type.LONG, 5_000L, Range.atLeast(0), Importance.LOW, "Longest pause "
                    + "before retrying a batch whose transaction aborted; pauses double from 100 ms.")
            .define(MODEL_DIR, Type.STRING, null, Importance.HIGH,
                    "Model directory; default the bundled demo model.")
            .define(ENGINE_THREADS, Type.INT, 0, Range.atLeast(0), Importance.LOW,
                    "ONNX Runtime intra-op threads per graph; 0 = one per core, up to 4.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH,
                    "Confluent-compatible schema registry, http(s)://host:port.");

    private final String instanceId;

    public WorkerConfig(Map<?, ?> props) {
        super(DEFINITION, props);
        String id = getString(INSTANCE_ID);
        this.instanceId = id != null ? id : UUID.randomUUID().toString();
    }

    public String stage() {
        return getString(STAGE);
    }

    public String groupId() {
        String g = getString(GROUP_ID);
        return g != null ? g : "llava-" + stage();
    }

    public String transactionalId() {
        return "llava-" + stage() + "-" + instanceId;
    }

    public int maxBatchSize() {
        return getInt(MAX_BATCH_SIZE);
    }

    public long lingerMs() {
        return getLong(BATCH_LINGER_MS);
    }

    public long pollTimeoutMs() {
        return getLong(POLL_TIMEOUT_MS);
    }

    public long abortBackoffMaxMs() {
        return getLong(ABORT_BACKOFF_MAX_MS);
    }

    public String modelDir() {
        return getString(MODEL_DIR);
    }

    public int engineThreads() {
        return getInt(ENGINE_THREADS);
    }

    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL);
    }

    /** The consumer's properties: byte[] keys and values, read_committed, offsets committed only by transactions. */
    public Map<String, Object> consumerProperties() {
        Map<String, Object> p = clientProperties();
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxBatchSize());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    /** The producer's properties: transactional and idempotent, sized for the largest record (Topics). */
    public Map<String, Object> producerProperties() {
        Map<String, Object> p = clientProperties();
        p.putIfAbsent(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES + 64 * 1024);
        p.putIfAbsent(ProducerConfig.BUFFER_MEMORY_CONFIG, 4L * Topics.MAX_RECORD_BYTES);
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /** Every original key that is not a worker setting, plus bootstrap.servers. */
    private Map<String, Object> clientProperties() {
        Map<String, Object> p = new HashMap<>(originals());
        p.keySet().removeAll(DEFINITION.names());
        p.put(BOOTSTRAP_SERVERS, String.join(",", getList(BOOTSTRAP_SERVERS)));
        return p;
    }
}
