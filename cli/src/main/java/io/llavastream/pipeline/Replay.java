package io.llavastream.pipeline;

import io.llavastream.labels.LabelBook;
import io.llavastream.model.LlavaModel;
import io.llavastream.model.labels.LabelScorer;
import io.llavastream.rules.PostChecks;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.LabelDefinition;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.stage.InProcessDriver;
import io.llavastream.stage.Output;
import io.llavastream.stage.VisionCache;
import io.llavastream.tensor.WireDtype;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Re-runs a range of the posts topic with another model version, in this process, on the {@link InProcessDriver}:
 * the topology's post checks, task splitting and prompt rule (per-source prompts included, from the same settings)
 * and the workers' stage machines, without any consumer group, so the live groups are not disturbed. Images whose
 * features the vision cache already holds for this model's vision tower skip the vision stage. Answers go to
 * {@link Topics#REPLAY_ANSWERS} keyed "&lt;model id&gt;|&lt;task id&gt;" ("&lt;model id&gt;+&lt;adapter&gt;|..." for
 * an answer of a LoRA adapter, see {@link #adapters}), tagged with the model id; the live answers
 * stay untouched. New vision features fill the cache.
 *
 * <p>Reads {@link Topics#POSTS} (the range), {@link Topics#VISION_FEATURES} and, with {@link #labels}, {@link
 * Topics#LABELS}; writes {@link Topics#REPLAY_ANSWERS},
 * {@link Topics#VISION_FEATURES} and {@link Topics#IMAGE_EMBEDDINGS}.
 */
public final class Replay {
    /** How a replay went. */
    public record Summary(String modelId, long posts, long images, long cacheHits, long cacheMisses, long answers,
                          long failed, double seconds) {
    }

    private final Map<String, Object> common;
    private final SchemaRegistry registry;
    private final LlavaModel model;
    private final int batch;
    private final PostChecks checks;
    private final DType wire;
    private Map<String, String> sourceAdapters = Map.of();
    private String adapter = "";
    private boolean labels;

    /** A replay that checks and prompts posts as the topology with {@code checks} does. */
    public Replay(Map<String, Object> kafkaCommon, SchemaRegistry registry, LlavaModel model, int batch,
                  PostChecks checks) {
        this(kafkaCommon, registry, model, batch, checks, WireDtype.defaultDtype());
    }

    /** As above, with the vision and merge stages writing Zv and Hv as {@code wire} ({@link WireDtype}). */
    public Replay(Map<String, Object> kafkaCommon, SchemaRegistry registry, LlavaModel model, int batch,
                  PostChecks checks, DType wire) {
        this.wire = wire;
        this.common = kafkaCommon;
        this.registry = registry;
        this.model = model;
        this.batch = batch;
        this.checks = checks;
    }

    /**
     * LoRA adapters as the topology's source.adapters; {@code adapter}, when not empty, overrides them for every
     * post (replay --adapter). The model must have loaded every adapter named.
     */
    public Replay adapters(Map<String, String> bySource, String adapter) {
        this.sourceAdapters = Map.copyOf(bySource);
        this.adapter = adapter == null ? "" : adapter;
        return this;
    }

    /**
     * Zero-shot labels as the vision workers give them: every image scored with this model's CLIP against the label
     * set on the labels topic when the replay starts (default: off).
     */
    public Replay labels(boolean on) {
        this.labels = on;
        return this;
    }

    public Summary run(TopicRange.Range range, LongConsumer total, Runnable step) {
        long t0 = System.nanoTime();
        Map<String, Object> p = new HashMap<>(common);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
        long[] answers = {0};
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer());
             InProcessDriver driver = new InProcessDriver(model, checks, batch, wire, loadCache(),
                     new ToTopics(producer, answers))) {
            driver.sourceAdapters(sourceAdapters);
            driver.adapterForAll(adapter);
            if (labels) {
                driver.labels(loadLabels()::scorer);
            }
            AvroSerde<Post> posts = Topics.POSTS.valueSerde(registry);
            TopicRange.forEach(common, Topics.POSTS.name(), range, total, r -> {
                step.run();
                Post post;
                try {
                    post = posts.deserialize(r.topic(), r.value());
                } catch (RuntimeException notAPost) {
                    return;  // the live topology dead-lettered it already
                }
                if (post != null) {
                    driver.submit(post);
                }
            });
            driver.drain();
            producer.flush();
            InProcessDriver.Stats s = driver.stats();
            return new Summary(model.modelId(), s.posts(), s.images(), s.cacheHits(),
                    s.cacheMisses(), answers[0], s.failedImages(), (System.nanoTime() - t0) / 1e9);
        }
    }

    /** The label set on the compacted labels topic now, read as the vision workers read it. */
    private LabelBook loadLabels() {
        double scale = model.directory().config().clipText().logitScale();
        LabelBook book = new LabelBook(set -> LabelScorer.build(set, model.textEncoder(), scale));
        AvroSerde<LabelDefinition> serde = Topics.LABELS.valueSerde(registry);
        TopicRange.forEach(common, Topics.LABELS.name(), PostExport.Range.all(), x -> { }, r -> {
            String where = r.topic() + "-" + r.partition() + "@" + r.offset();
            if (!book.applyRecord(r.key(), r.value(), serde, where)) {
                throw new IllegalStateException("the schema registry cannot be reached to read " + where);
            }
        });
        book.publish();
        return book;
    }

    /** The vision cache for this model's vision tower, as the compacted topic holds it now. */
    private VisionCache loadCache() {
        VisionCache cache = new VisionCache();
        AvroSerde<VisionFeatures> serde = Topics.VISION_FEATURES.valueSerde(registry);
        TopicRange.forEach(common, Topics.VISION_FEATURES.name(), PostExport.Range.all(), x -> { }, r -> {
            if (r.value() == null) {
                cache.remove(r.key());
                return;
            }
            VisionFeatures f;
            try {
                f = serde.deserialize(r.topic(), r.value());
            } catch (RuntimeException unreadable) {
                return;  // the topology's cache lookup dead-letters such records; the replay only skips them
            }
            if (f.getVisionModelId().equals(model.visionModelId())) {
                cache.put(r.key(), f);
            }
        });
        return cache;
    }

    /** Answers to the replay topic, keyed and tagged by model; features and embeddings to their own topics. */
    private final class ToTopics implements InProcessDriver.Sink {
        private final KafkaProducer<String, byte[]> producer;
        private final long[] answers;
        private final Map<Topic<?>, AvroSerde<?>> serdes = new HashMap<>();

        ToTopics(KafkaProducer<String, byte[]> producer, long[] answers) {
            this.producer = producer;
            this.answers = answers;
        }

        @Override
        @SuppressWarnings("unchecked")
        public void publish(Output<?> o) {
            if (o.value() instanceof Answer a) {
                String adapter = a.getAdapter().isEmpty() ? "" : "+" + a.getAdapter();
                send(Topics.REPLAY_ANSWERS, a.getModelId() + adapter + "|" + a.getTask().getTaskId(), a);
                answers[0]++;
            } else {
                send((Topic<SpecificRecord>) o.topic(), o.key(), o.value());
            }
        }

        @SuppressWarnings("unchecked")
        private <V extends SpecificRecord> void send(Topic<V> topic, String key, V value) {
            AvroSerde<V> serde = (AvroSerde<V>) serdes.computeIfAbsent(topic, t -> t.valueSerde(registry));
            producer.send(new ProducerRecord<>(topic.name(), key, serde.serialize(topic.name(), value)));
        }
    }
}
