package io.llavastream.worker;

import io.llavastream.model.Engine;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.TensorRtOptions;
import io.llavastream.model.TensorRtProfile;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.DType;
import io.llavastream.tensor.WireDtype;
import io.llavastream.topics.LargeRecords;
import io.llavastream.stage.EncoderCache;
import io.llavastream.topics.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
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
    public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
    public static final String RETRY_BACKOFF_MS = "retry.backoff.ms";
    public static final String RETRY_BACKOFF_MAX_MS = "retry.backoff.max.ms";
    public static final String MAX_RECORD_ATTEMPTS = "max.record.attempts";
    public static final String VISION_CACHE_MAX_BYTES = "vision.cache.max.bytes";
    public static final String VISION_CACHE_RESTORE_TIMEOUT_MS = "vision.cache.restore.timeout.ms";
    public static final String DECODE_STREAM_TOKENS = "decode.stream.tokens";
    public static final String DECODE_ADAPTERS = "decode.adapters";
    public static final String VISION_LABELS_ENABLED = "vision.labels.enabled";
    public static final String VISION_LABELS_LOAD_TIMEOUT_MS = "vision.labels.load.timeout.ms";
    public static final String DECODE_STREAM_TOKENS_FLUSH_TIMEOUT_MS = "decode.stream.tokens.flush.timeout.ms";
    public static final String MODEL_DIR = "model.dir";
    public static final String ENGINE_THREADS = "engine.threads";
    public static final String SCHEMA_REGISTRY_URL = "schema.registry.url";
    public static final String ENGINE = "engine";
    public static final String ENGINE_DEVICE_ID = "engine.device.id";
    public static final String ENGINE_FALLBACK = "engine.fallback";
    public static final String ENGINE_TENSORRT_FP16 = "engine.tensorrt.fp16";
    public static final String ENGINE_TENSORRT_CACHE_DIR = "engine.tensorrt.cache.dir";
    public static final String ENGINE_TENSORRT_PROFILES = "engine.tensorrt.profiles";

    public static final String TENSOR_DTYPE = WireDtype.CONFIG;

    /** The worker's settings; {@value #TENSOR_DTYPE} comes from {@link WireDtype#DEFINITION}, shared with others. */
    public static final ConfigDef DEFINITION = new ConfigDef(WireDtype.DEFINITION)
            .define(STAGE, Type.STRING, ConfigDef.NO_DEFAULT_VALUE,
                    ValidString.in(StageName.workerIds().toArray(String[]::new)),
                    Importance.HIGH, "Which stage this process runs.")
            .define(BOOTSTRAP_SERVERS, Type.LIST, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH,
                    "Kafka brokers, host:port[,host:port...].")
            .define(GROUP_ID, Type.STRING, null, Importance.MEDIUM,
                    "Consumer group; default llava-<stage>. Every process of a stage shares it.")
            .define(INSTANCE_ID, Type.STRING, null, Importance.MEDIUM, "This process's stable id within the stage: "
                    + "its transactional.id is llava-<stage>-<instance.id> and, when set, its group.instance.id "
                    + "(static membership) is the same; default a random UUID and no static membership. Give a "
                    + "restarted process its old id so it fences the dead one at once instead of waiting for the "
                    + "broker to time out the dead one's open transaction, which holds back read_committed "
                    + "consumers, and takes back its partitions without a rebalance. A static member that stops "
                    + "for good leaves its partitions unread until session.timeout.ms passes.")
            .define(MAX_BATCH_SIZE, Type.INT, 8, Range.atLeast(1), Importance.HIGH,
                    "vision and merge: most records per compute call (the micro-batch); decode: most sequences "
                    + "decoding at once, with as many more queued to join.")
            .define(BATCH_LINGER_MS, Type.LONG, 10L, Range.atLeast(0), Importance.MEDIUM, "How long the first "
                    + "record of a batch may wait for more before a partial batch is processed, ms.")
            .define(COMMIT_INTERVAL_MS, Type.LONG, 100L, Range.atLeast(0), Importance.MEDIUM,
                    "Shortest time between two transactions, ms: finished work waits up to this long to be "
                    + "published together with what finishes meanwhile (what Kafka Streams' commit.interval.ms is "
                    + "under exactly-once). Each transaction costs the broker several requests and a marker on "
                    + "every partition it wrote, so fewer, larger transactions cost less CPU per record; the price "
                    + "is up to this much latency per stage. 0 = a transaction whenever something finished.")
            .define(POLL_TIMEOUT_MS, Type.LONG, 100L, Range.atLeast(1), Importance.LOW,
                    "Longest wait in one poll when nothing is pending, ms; bounds how fast shutdown is seen.")
            .define(RETRY_BACKOFF_MS, Type.LONG, 100L, Range.atLeast(0), Importance.LOW, "First pause after a "
                    + "failed transaction or an unreachable schema registry, ms; each further failure in a row "
                    + "doubles it, up to retry.backoff.max.ms.")
            .define(RETRY_BACKOFF_MAX_MS, Type.LONG, 5_000L, Range.atLeast(0), Importance.LOW,
                    "Longest pause between retries, ms.")
            .define(MAX_RECORD_ATTEMPTS, Type.INT, 3, Range.atLeast(1), Importance.MEDIUM, "How many times a "
                    + "record's transaction may fail for a reason that may be the record's own (the broker refused "
                    + "it) before the record is dead-lettered as REPEATED_FAILURE. Timeouts and outages are not "
                    + "counted: they are retried with backoff for as long as they last.")
            .define(VISION_CACHE_MAX_BYTES, Type.LONG, 256L * 1024 * 1024, Range.atLeast(0), Importance.MEDIUM,
                    "vision: memory for the encoder cache, bytes (the features' tensors plus "
                    + EncoderCache.ENTRY_OVERHEAD_BYTES + " bytes per "
                    + "entry; the least useful entries are evicted first). A hit skips the vision compute. It is "
                    + "filled from this worker's committed outputs and, for the vision-requests partitions this "
                    + "worker owns, restored from the compacted vision-features topic when it gets them. 0 = no "
                    + "cache: every image is encoded. A LLaVA-1.5-7B image's features (576x1024 fp16) take 1.2 MB.")
            .define(VISION_CACHE_RESTORE_TIMEOUT_MS, Type.LONG, 60_000L, Range.atLeast(1), Importance.LOW,
                    "vision: longest a restore of the encoder cache from vision-features may take when partitions "
                    + "are assigned, ms; the polling thread waits for it. Entries not read by then are misses.")
            .define(VISION_LABELS_ENABLED, Type.BOOLEAN, true, Importance.MEDIUM, "vision: score every image "
                    + "against the zero-shot label set on " + Topics.LABELS.name() + " (read from the beginning for "
                    + "as long as the worker runs) and put the labels above their threshold on its merge request and "
                    + "embedding (docs/labels.md). Loads the CLIP text tower (onnx/text_encoder.onnx) beside the "
                    + "vision tower. With an empty label set an image costs one snapshot read; false = no text "
                    + "tower, no labels reader, no labels on any record.")
            .define(VISION_LABELS_LOAD_TIMEOUT_MS, Type.LONG, 30_000L, Range.atLeast(0), Importance.LOW,
                    "vision: longest wait at start for the label set already on " + Topics.LABELS.name()
                    + " to be in force before the first request is consumed, ms; after it the worker starts with the "
                    + "labels read so far and the rest follow.")
            .define(DECODE_STREAM_TOKENS, Type.BOOLEAN, true, Importance.MEDIUM, "decode: publish every running "
                    + "answer's new text after each decode step to " + Topics.ANSWER_TOKENS.name() + " (AnswerToken, "
                    + "keyed by task id), a best-effort preview sent at once on a producer outside the transaction, "
                    + "so it is seen before the answer commits; the answer on " + Topics.ANSWERS.name() + " stays "
                    + "the exactly-once truth. A preview that cannot be sent is dropped and counted "
                    + "(llava_token_previews_dropped_total), never failing the stage. Costs one detokenization of "
                    + "each running answer per step, no model work. false = no previews and no preview producer.")
            .define(DECODE_STREAM_TOKENS_FLUSH_TIMEOUT_MS, Type.LONG, 1_000L, Range.atLeast(0), Importance.LOW,
                    "decode: longest wait, before each transaction commits, for the previews sent so far to be "
                    + "acknowledged, ms; it keeps an answer's final delta ahead of the answer for read_committed "
                    + "readers. When the broker is slower than this, the answer commits anyway.")
            .define(DECODE_ADAPTERS, Type.LIST, "", Importance.MEDIUM, "decode: LoRA adapters to load at start "
                    + "(docs/adapters.md), each NAME (the directory adapters/NAME of the model directory) or "
                    + "NAME=PATH. Requests select one by TaskRef.adapter (the topology's source.adapters, or replay "
                    + "--adapter); rows of different adapters and of the base model decode in one batch, on the "
                    + "model's adapter-capable graphs. A directory that cannot be used stops the worker at start "
                    + "with a message naming the file; a request for an adapter not listed here is answered ERROR "
                    + "and dead-lettered (BAD_DECODE_REQUEST). Empty: the base model only, on the plain graphs.")
            .define(MODEL_DIR, Type.STRING, null, Importance.HIGH,
                    "Model directory; default the bundled demo model.")
            .define(ENGINE_THREADS, Type.INT, 0, Range.atLeast(0), Importance.LOW,
                    "ONNX Runtime intra-op threads per graph; 0 = one per core, up to 4.")
            .define(ENGINE, Type.STRING, "cpu", ConfigDef.CaseInsensitiveValidString.in("cpu", "cuda", "tensorrt"),
                    Importance.HIGH, "Execution provider for the stage's ONNX graphs: cpu; cuda (ONNX Runtime's "
                    + "CUDA provider); tensorrt (TensorRT, then CUDA, then CPU). cuda and tensorrt need the "
                    + "onnxruntime_gpu build with CUDA 12 + cuDNN 9 (+ TensorRT 10).")
            .define(ENGINE_DEVICE_ID, Type.INT, 0, Range.atLeast(0), Importance.MEDIUM,
                    "GPU ordinal for cuda and tensorrt.")
            .define(ENGINE_FALLBACK, Type.STRING, "none", ConfigDef.CaseInsensitiveValidString.in("none", "cpu"),
                    Importance.MEDIUM, "What a GPU engine does when its provider is missing from the ONNX Runtime "
                    + "build or fails to start: none = refuse to start with an error naming it; cpu = log a "
                    + "warning and run on the CPU.")
            .define(ENGINE_TENSORRT_FP16, Type.BOOLEAN, false, Importance.MEDIUM,
                    "tensorrt: allow fp16 kernels (trt_fp16_enable).")
            .define(ENGINE_TENSORRT_CACHE_DIR, Type.STRING, null, Importance.MEDIUM, "tensorrt: directory that "
                    + "caches built engines across restarts (trt_engine_cache_path); unset = rebuild every start.")
            .define(ENGINE_TENSORRT_PROFILES, Type.STRING, "", new ProfilesValidator(), Importance.LOW,
                    "tensorrt: optimization profiles for dynamic inputs, input:MIN,OPT,MAX[;input:MIN,OPT,MAX...] "
                    + "with shapes like 1x1x128, e.g. inputs_embeds:1x1x128,8x1x128,32x256x128. Empty = none.")
            .define(SCHEMA_REGISTRY_URL, Type.STRING, null, Importance.HIGH,
                    "Confluent-compatible schema registry, http(s)://host:port.");

    /** How long a token preview's send may block (metadata, buffer) before it is dropped, ms. */
    static final long PREVIEW_MAX_BLOCK_MS = 100;

    /**
     * The engine settings: what {@link #engineOptions()} reads. A command that loads a model sets them from its own
     * flags only where a flag was given, so that a config file's values are not overwritten by flag defaults.
     */
    public static final List<String> ENGINE_KEYS = List.of(ENGINE, ENGINE_DEVICE_ID, ENGINE_FALLBACK, ENGINE_THREADS,
            ENGINE_TENSORRT_FP16, ENGINE_TENSORRT_CACHE_DIR, ENGINE_TENSORRT_PROFILES);
    /** The engine settings without a flag of their own: the CLI's repeatable {@code --engine-option KEY=VALUE}. */
    public static final List<String> ENGINE_TENSORRT_KEYS = List.of(ENGINE_TENSORRT_FP16, ENGINE_TENSORRT_CACHE_DIR,
            ENGINE_TENSORRT_PROFILES);
    /** {@link #DEFINITION}'s engine settings alone, for commands that load a model but run no worker. */
    public static final ConfigDef ENGINE_DEFINITION = engineDefinition();

    private final String instanceId;

    public WorkerConfig(Map<?, ?> props) {
        super(DEFINITION, props);
        String id = getString(INSTANCE_ID);
        this.instanceId = id != null ? id : UUID.randomUUID().toString();
    }

    public String stage() {
        return getString(STAGE);
    }

    public StageName stageName() {
        return StageName.worker(stage());
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

    public long commitIntervalMs() {
        return getLong(COMMIT_INTERVAL_MS);
    }

    public long pollTimeoutMs() {
        return getLong(POLL_TIMEOUT_MS);
    }

    public long retryBackoffMs() {
        return getLong(RETRY_BACKOFF_MS);
    }

    public long retryBackoffMaxMs() {
        return getLong(RETRY_BACKOFF_MAX_MS);
    }

    public int maxRecordAttempts() {
        return getInt(MAX_RECORD_ATTEMPTS);
    }

    /** group.instance.id (static membership): llava-&lt;stage&gt;-&lt;instance.id&gt; when instance.id is set. */
    public Optional<String> groupInstanceId() {
        return Optional.ofNullable(getString(INSTANCE_ID)).map(id -> "llava-" + stage() + "-" + id);
    }

    public long visionCacheMaxBytes() {
        return getLong(VISION_CACHE_MAX_BYTES);
    }

    public Duration visionCacheRestoreTimeout() {
        return Duration.ofMillis(getLong(VISION_CACHE_RESTORE_TIMEOUT_MS));
    }

    /**
     * The vision cache restorer's consumer: read_committed, byte[] keys and values, no group (partitions are
     * assigned by hand), nothing committed.
     */
    public Map<String, Object> restoreConsumerProperties() {
        Map<String, Object> p = clientProperties();
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "llava-" + stage() + "-" + instanceId + "-cache-restore");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    /** decode.adapters as given: NAME or NAME=PATH (see io.llavastream.model.adapter.AdapterSpecs). */
    public List<String> decodeAdapters() {
        return getList(DECODE_ADAPTERS);
    }

    public boolean labelsEnabled() {
        return getBoolean(VISION_LABELS_ENABLED);
    }

    public Duration labelsLoadTimeout() {
        return Duration.ofMillis(getLong(VISION_LABELS_LOAD_TIMEOUT_MS));
    }

    /** The labels reader's consumer: as the cache restorer's (no group, read_committed), its own client id. */
    public Map<String, Object> labelsConsumerProperties() {
        Map<String, Object> p = restoreConsumerProperties();
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "llava-" + stage() + "-" + instanceId + "-labels");
        return p;
    }

    public boolean streamTokens() {
        return getBoolean(DECODE_STREAM_TOKENS);
    }

    public long streamTokensFlushTimeoutMs() {
        return getLong(DECODE_STREAM_TOKENS_FLUSH_TIMEOUT_MS);
    }

    /**
     * The token preview producer's properties: not transactional (previews must be visible before the commit),
     * idempotent, sending at once (linger.ms 0), and blocking a send at most {@value #PREVIEW_MAX_BLOCK_MS} ms when
     * the broker is in trouble; byte[] keys and values.
     */
    public Map<String, Object> previewProducerProperties() {
        Map<String, Object> p = clientProperties();
        p.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, transactionalId() + "-tokens");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, PREVIEW_MAX_BLOCK_MS);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    public String modelDir() {
        return getString(MODEL_DIR);
    }

    public int engineThreads() {
        return getInt(ENGINE_THREADS);
    }

    public Engine engine() {
        return Engine.parse(getString(ENGINE));
    }

    /** The engine settings: engine.*, engine.threads, and the default image pixel limit. */
    public EngineOptions engineOptions() {
        return engineOptions(this);
    }

    /**
     * Engine options from engine settings alone ({@link #ENGINE_KEYS}; any other key is refused), with the declared
     * defaults for the ones not given; a bad value throws a ConfigException naming the key and the value.
     */
    public static EngineOptions engineOptions(Map<String, ?> engineSettings) {
        Map<String, Object> unknown = new HashMap<>(engineSettings);
        unknown.keySet().removeAll(ENGINE_KEYS);
        if (!unknown.isEmpty()) {
            throw new ConfigException("not engine settings: " + unknown.keySet() + "; expected some of " + ENGINE_KEYS);
        }
        return engineOptions(new AbstractConfig(ENGINE_DEFINITION, engineSettings, false));
    }

    /**
     * Checks one {@code --engine-option KEY=VALUE}: KEY must be one of {@link #ENGINE_TENSORRT_KEYS} and VALUE valid
     * for it; the errors name both and what was expected.
     */
    public static void checkEngineOption(String key, String value) {
        if (!ENGINE_TENSORRT_KEYS.contains(key)) {
            throw new ConfigException("--engine-option " + key + "=" + value + ": unknown key " + key
                    + "; expected one of " + ENGINE_TENSORRT_KEYS + " (engine, engine.device.id, engine.fallback and "
                    + "engine.threads have their own flags: --engine, --device, --engine-fallback, --threads)");
        }
        engineOptions(Map.of(key, value));
    }

    private static EngineOptions engineOptions(AbstractConfig c) {
        int threads = c.getInt(ENGINE_THREADS);
        EngineOptions base = threads > 0 ? EngineOptions.threads(threads) : EngineOptions.cpu();
        String cache = c.getString(ENGINE_TENSORRT_CACHE_DIR);
        TensorRtOptions trt = TensorRtOptions.defaults().withFp16(c.getBoolean(ENGINE_TENSORRT_FP16))
                .withEngineCacheDir(cache == null || cache.isBlank() ? null : Path.of(cache))
                .withProfiles(c.getString(ENGINE_TENSORRT_PROFILES));
        return base.withEngine(Engine.parse(c.getString(ENGINE))).withDeviceId(c.getInt(ENGINE_DEVICE_ID))
                .withFallbackToCpu("cpu".equalsIgnoreCase(c.getString(ENGINE_FALLBACK))).withTensorRt(trt);
    }

    private static ConfigDef engineDefinition() {
        ConfigDef d = new ConfigDef();
        ENGINE_KEYS.forEach(k -> d.define(DEFINITION.configKeys().get(k)));
        return d;
    }

    /** The dtype of the tensors this worker writes (vision: Zv; merge: Hv): {@value #TENSOR_DTYPE}. */
    public DType tensorDtype() {
        return WireDtype.parse(getString(TENSOR_DTYPE));
    }

    public String schemaRegistryUrl() {
        return getString(SCHEMA_REGISTRY_URL);
    }

    /**
     * The consumer's properties: byte[] keys and values, read_committed, offsets committed only by transactions,
     * static membership when instance.id is set, and the cooperative assignor (a rebalance then revokes only the
     * partitions that move, so in-flight decode work elsewhere is kept) unless another is given, and
     * {@link LargeRecords#consumer()}'s fetch sizes and socket buffer unless set.
     */
    public Map<String, Object> consumerProperties() {
        Map<String, Object> p = clientProperties();
        p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        groupInstanceId().ifPresent(id -> p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxBatchSize());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        LargeRecords.consumer().forEach(p::putIfAbsent);  // fetch sizes and socket buffer as `bench hop` measures them
        return p;
    }

    /**
     * The producer's properties: transactional and idempotent, sized for the largest record (Topics), with
     * {@link LargeRecords#producer()}'s socket buffer unless set.
     */
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
        LargeRecords.producer().forEach(p::putIfAbsent);  // the send buffer (the sizes above come first)
        return p;
    }

    /** Checks engine.tensorrt.profiles at configuration time; the error names the bad value. */
    private static final class ProfilesValidator implements ConfigDef.Validator {
        @Override
        public void ensureValid(String name, Object value) {
            try {
                TensorRtProfile.parseAll((String) value);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(name, value, e.getMessage());
            }
        }

        @Override
        public String toString() {
            return "input:MIN,OPT,MAX[;...]";
        }
    }

    /** Every original key that is not a worker setting, plus bootstrap.servers. */
    private Map<String, Object> clientProperties() {
        Map<String, Object> p = new HashMap<>(originals());
        p.keySet().removeAll(DEFINITION.names());
        p.put(BOOTSTRAP_SERVERS, String.join(",", getList(BOOTSTRAP_SERVERS)));
        return p;
    }
}
