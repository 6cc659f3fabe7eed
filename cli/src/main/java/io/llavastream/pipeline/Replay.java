package io.llavastream.pipeline;

import io.llavastream.model.LlavaModel;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.scenes.PromptTemplate;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import io.llavastream.stage.DecodeMachine;
import io.llavastream.stage.Finished;
import io.llavastream.stage.MergeMachine;
import io.llavastream.stage.Output;
import io.llavastream.stage.StageResult;
import io.llavastream.stage.VisionMachine;
import io.llavastream.worker.Workers;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Re-runs a range of the posts topic with another model version, in this process, through the same stage classes
 * the workers run (vision, merge, decode with continuous batching) and without any consumer group, so the live
 * groups are not disturbed. Images whose features the vision cache already holds for this model's vision tower
 * skip the vision stage. Answers go to {@link Topics#REPLAY_ANSWERS} keyed "<model id>|<task id>", tagged with
 * the model id; the live answers stay untouched. New vision features fill the cache.
 *
 * <p>Reads {@link Topics#POSTS} (the range) and {@link Topics#VISION_FEATURES}; writes {@link Topics#REPLAY_ANSWERS},
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
    private final VisionMachine vision;
    private final MergeMachine merge;

    public Replay(Map<String, Object> kafkaCommon, SchemaRegistry registry, LlavaModel model, int batch) {
        this.common = kafkaCommon;
        this.registry = registry;
        this.model = model;
        this.batch = batch;
        Clock clock = Clock.systemUTC();
        this.vision = new VisionMachine(model.visionParts(), batch, clock);
        this.merge = new MergeMachine(model.mergeParts(), batch, clock);
    }

    public Summary run(TopicRange.Range range, LongConsumer total, Runnable step) {
        long t0 = System.nanoTime();
        Map<String, VisionFeatures> cache = loadCache();
        long[] n = new long[6];  // posts, images, hits, misses, answers, failed
        Map<String, Object> p = new HashMap<>(common);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Topics.MAX_RECORD_BYTES);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(),
                new ByteArraySerializer());
             DecodeMachine batcher = new DecodeMachine(model.decodeParts(), batch, Workers.MAX_NEW_TOKENS,
                     Clock.systemUTC())) {
            Pending pending = new Pending(producer, batcher, n);
            AvroSerde<Post> posts = Topics.POSTS.valueSerde(registry);
            TopicRange.forEach(common, Topics.POSTS.name(), range, total, r -> {
                step.run();
                Post post;
                try {
                    post = posts.deserialize(r.topic(), r.value());
                } catch (RuntimeException notAPost) {
                    return;  // the live topology dead-lettered it already
                }
                n[0]++;
                for (ImageTask task : tasks(post)) {
                    n[1]++;
                    VisionFeatures hit = cache.get(io.llavastream.rules.CacheKey.of(task.getTask().getImageSha256(),
                            model.visionModelId()));
                    n[hit != null ? 2 : 3]++;
                    pending.add(task, hit);
                }
                pending.flushIfFull();
            });
            pending.flush();
            while (batcher.inFlight() > 0) {
                pending.finish(batcher.step());
            }
            producer.flush();
        }
        return new Summary(model.modelId(), n[0], n[1], n[2], n[3], n[4], n[5], (System.nanoTime() - t0) / 1e9);
    }

    /** The vision cache for this model's vision tower, as the compacted topic holds it now. */
    private Map<String, VisionFeatures> loadCache() {
        Map<String, VisionFeatures> cache = new HashMap<>();
        AvroSerde<VisionFeatures> serde = Topics.VISION_FEATURES.valueSerde(registry);
        TopicRange.forEach(common, Topics.VISION_FEATURES.name(), io.llavastream.pipeline.PostExport.Range.all(),
                x -> { }, r -> {
                    if (r.value() == null) {
                        cache.remove(r.key());
                        return;
                    }
                    VisionFeatures f = serde.deserialize(r.topic(), r.value());
                    if (f.getVisionModelId().equals(model.visionModelId())) {
                        cache.put(r.key(), f);
                    }
                });
        return cache;
    }

    private static List<ImageTask> tasks(Post post) {
        List<ImageTask> out = new ArrayList<>();
        String prompt = post.getQuestion() != null ? PromptTemplate.userTurn(post.getQuestion())
                : PromptTemplate.captionPrompt();
        for (int i = 0; i < post.getImages().size(); i++) {
            PostImage img = post.getImages().get(i);
            byte[] bytes = new byte[img.getData().remaining()];
            img.getData().duplicate().get(bytes);
            TaskRef ref = TaskRef.newBuilder().setTaskId(post.getId() + "/" + i).setPostId(post.getId())
                    .setSource(post.getSource()).setImageIndex(i).setImageCount(post.getImages().size())
                    .setImageSha256(sha256(bytes)).setPrompt(prompt).setReceivedAt(Instant.now()).build();
            out.add(ImageTask.newBuilder().setTask(ref).setContentType(img.getContentType())
                    .setImage(ByteBuffer.wrap(bytes)).build());
        }
        return out;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Images waiting for the vision or merge stage, in groups of the batch size, and the batcher behind them. */
    private final class Pending {
        private final KafkaProducer<String, byte[]> producer;
        private final DecodeMachine batcher;
        private final long[] n;
        private final List<ImageTask> misses = new ArrayList<>();
        private final List<MergeRequest> merges = new ArrayList<>();
        private final Map<Topic<?>, AvroSerde<?>> serdes = new HashMap<>();

        Pending(KafkaProducer<String, byte[]> producer, DecodeMachine batcher, long[] n) {
            this.producer = producer;
            this.batcher = batcher;
            this.n = n;
        }

        void add(ImageTask task, VisionFeatures cached) {
            if (cached == null) {
                misses.add(task);
            } else {
                merges.add(MergeRequest.newBuilder().setTask(task.getTask()).setFeatures(cached).setCacheHit(true)
                        .build());
            }
        }

        void flushIfFull() {
            if (misses.size() + merges.size() >= batch) {
                flush();
            }
        }

        /** 1. vision for the misses, 2. merge for everything, 3. into the batcher, stepping it along. */
        void flush() {
            for (StageResult r : vision.process(List.copyOf(misses))) {
                route(r);
            }
            misses.clear();
            for (StageResult r : merge.process(List.copyOf(merges))) {
                route(r);
            }
            merges.clear();
            while (batcher.inFlight() >= batch) {
                finish(batcher.step());
            }
        }

        @SuppressWarnings("unchecked")
        private void route(StageResult result) {
            for (Output<?> o : result.outputs()) {
                SpecificRecord v = o.value();
                if (v instanceof MergeRequest m) {
                    merges.add(m);
                } else if (v instanceof DecodeRequest d) {
                    batcher.submit(d.getTask().getTaskId(), d);
                } else if (v instanceof Answer a) {
                    answer(a);
                    n[5]++;
                } else {
                    send((Topic<SpecificRecord>) o.topic(), o.key(), v);  // cache fill and embeddings
                }
            }
        }

        void finish(List<Finished> done) {
            for (Finished f : done) {
                for (Output<?> o : f.result().outputs()) {
                    answer((Answer) o.value());  // decode's only output is the answer
                }
                n[5] += f.result().isFailure() ? 1 : 0;
            }
        }

        private void answer(Answer a) {
            send(Topics.REPLAY_ANSWERS, a.getModelId() + "|" + a.getTask().getTaskId(), a);
            n[4]++;
        }

        @SuppressWarnings("unchecked")
        private <V extends SpecificRecord> void send(Topic<V> topic, String key, V value) {
            AvroSerde<V> serde = (AvroSerde<V>) serdes.computeIfAbsent(topic, t -> t.valueSerde(registry));
            producer.send(new ProducerRecord<>(topic.name(), key, serde.serialize(topic.name(), value)));
        }
    }
}
