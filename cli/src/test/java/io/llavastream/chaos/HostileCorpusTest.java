package io.llavastream.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.model.ModelDirectory;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.serde.SerdeException;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.zip.InflaterInputStream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The hostile corpus is what it says: each record is wrong in the one way its name claims. */
class HostileCorpusTest {
    static InMemorySchemaRegistry registry;
    static ModelFacts model;
    static Map<String, HostileRecord> corpus;

    @BeforeAll
    static void build() {
        registry = new InMemorySchemaRegistry();
        model = ModelFacts.of(ModelDirectory.bundled());
        List<HostileRecord> all = HostileCorpus.build(registry, model, "t1", "llava-topology");
        assertThat(new HashSet<>(all.stream().map(HostileRecord::name).toList())).hasSameSizeAs(all);
        corpus = all.stream().collect(Collectors.toMap(HostileRecord::name, Function.identity()));
    }

    @Test
    void atLeastThirtyDistinctRecordsCoverEveryTopicAProcessReads() {
        assertThat(corpus).as("the count docs/reliability.md and the README give").hasSize(73);
        for (Topic<?> t : HostileCorpus.READ_TOPICS) {
            assertThat(corpus.values()).as(t.name()).anyMatch(h -> h.topic().equals(t.name()));
            assertThat(corpus.values()).as("tombstone on " + t.name())
                    .anyMatch(h -> h.topic().equals(t.name()) && h.value() == null);
        }
        assertThat(corpus.values()).anyMatch(h -> h.topic().endsWith("-repartition"));
        for (HostileRecord h : corpus.values()) {
            Expectation e = h.expected();
            assertThat(e.reason() != null || e.outcome() == Expectation.Outcome.CAPTIONED
                    || e.outcome() == Expectation.Outcome.IGNORED).as(h.name()).isTrue();
            assertThat(h.size()).as(h.name()).isLessThan(Topics.MAX_RECORD_BYTES - 64 * 1024);
        }
        assertThat(corpus.values().stream().filter(h -> h.expected().reason() != null)
                .map(h -> h.expected().reason()).distinct().count()).isGreaterThanOrEqualTo(14);
    }

    @Test
    void lengthBombsAreSmallRecordsWithTheRealSchemaIdAndAClaimNear2To31() throws IOException {
        List<HostileRecord> bombs = corpus.values().stream()
                .filter(h -> h.expected().reason() == DeadLetterReason.AVRO_LIMIT).toList();
        assertThat(bombs).hasSizeGreaterThanOrEqualTo(10);
        for (HostileRecord h : bombs) {
            assertThat(h.value().length).as(h.name()).isLessThan(8 * 1024);
            assertThat(h.value()[0]).isZero();
            int id = ByteBuffer.wrap(h.value(), 1, 4).getInt();
            assertThat(registry.schemaById(id)).as(h.name()).isNotNull();
        }
        HostileRecord images = corpus.get("posts/images-count-bomb");
        assertThat(ByteBuffer.wrap(images.value(), 1, 4).getInt())
                .isEqualTo(registry.register("llava.posts-value", SpecificData.get().getSchema(
                        io.llavastream.schemas.Post.class)));
        BinaryDecoder d = DecoderFactory.get().binaryDecoder(images.value(), 5, images.value().length - 5, null);
        d.readString();
        d.readString();
        d.readIndex();
        d.readIndex();
        d.readIndex();
        d.readString();
        d.readLong();
        assertThat(d.readArrayStart()).isEqualTo(Integer.MAX_VALUE - 15L);
        assertThat(d.isEnd()).isFalse();
    }

    @Test
    void theWireFormatFaultsFailTheSerdeWithTheirReason() {
        var posts = Topics.POSTS.valueSerde(registry);
        for (String name : List.of("posts/empty-value", "posts/not-avro", "posts/wrong-magic-byte",
                "posts/truncated-avro", "posts/schema-id-of-answer")) {
            assertThatThrownBy(() -> posts.deserialize(Topics.POSTS.name(), corpus.get(name).value())).as(name)
                    .isInstanceOfSatisfying(SerdeException.class,
                            e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.NOT_AVRO));
        }
        assertThatThrownBy(() -> posts.deserialize(Topics.POSTS.name(), corpus.get("posts/truncated-in-image-bytes")
                .value())).isInstanceOfSatisfying(SerdeException.class,
                e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.AVRO_LIMIT));
        assertThatThrownBy(() -> posts.deserialize(Topics.POSTS.name(), corpus.get("posts/unknown-schema-id")
                .value())).isInstanceOfSatisfying(SerdeException.class,
                e -> assertThat(e.reason()).isEqualTo(SerdeException.Reason.UNKNOWN_SCHEMA_ID));
        assertThat(posts.deserialize(Topics.POSTS.name(), corpus.get("posts/null-key").value()).getImages())
                .hasSize(1);
        assertThat(corpus.get("posts/null-key").key()).isNull();
        assertThat(corpus.get("posts/huge-key-not-avro").key().length).isEqualTo(4 * 1024 * 1024);
    }

    @Test
    void semanticFaultsAreValidAvroWrongInOneWay() {
        ImageTask sha = decode(Topics.VISION_REQUESTS, "vision-requests/sha256-mismatch");
        assertThat(ImageTasks.sha256Hex(sha.getImage())).isNotEqualTo(sha.getTask().getImageSha256());
        DecodeRequest longPrompt = decode(Topics.DECODE_REQUESTS, "decode-requests/prompt-longer-than-context");
        assertThat(longPrompt.getInputIds().size()).isGreaterThan(model.contextLength());
        assertThat(TensorCodec.floats(longPrompt.getInputsEmbeds())).hasSize(longPrompt.getInputIds().size()
                * model.hiddenSize());
        DecodeRequest shortTensor = decode(Topics.DECODE_REQUESTS, "decode-requests/tensor-bytes-disagree-with-shape");
        assertThatThrownBy(() -> TensorCodec.floats(shortTensor.getInputsEmbeds()))
                .isInstanceOf(IllegalArgumentException.class);
        DecodeRequest outside = decode(Topics.DECODE_REQUESTS, "decode-requests/image-position-outside-prompt");
        assertThat(outside.getInputsEmbeds()).isNull();
        assertThat(outside.getImagePositions()).containsExactly(outside.getInputIds().size());
        assertThat(TensorCodec.shape(outside.getImageFeatures())).containsExactly(1, model.hiddenSize());
        DecodeRequest negative = decode(Topics.DECODE_REQUESTS, "decode-requests/input-id-outside-vocabulary");
        assertThat(negative.getInputIds().get(0)).isEqualTo(-1L);
        assertThat(negative.getImagePositions()).containsExactly(1);
        DecodeRequest shortHv = decode(Topics.DECODE_REQUESTS,
                "decode-requests/image-features-bytes-disagree-with-shape");
        assertThatThrownBy(() -> TensorCodec.floats(shortHv.getImageFeatures()))
                .isInstanceOf(IllegalArgumentException.class);
        MergeRequest other = decode(Topics.MERGE_REQUESTS, "merge-requests/features-of-another-vision-model");
        assertThat(other.getFeatures().getVisionModelId()).isNotEqualTo(model.visionModelId());
        assertThat(TensorCodec.shape(other.getFeatures().getPatchFeatures()))
                .containsExactly(model.patches(), model.featureDim());
        MergeRequest shape = decode(Topics.MERGE_REQUESTS, "merge-requests/features-wrong-shape");
        assertThat(TensorCodec.shape(shape.getFeatures().getPatchFeatures())).containsExactly(3, 5);
        var question = Topics.POSTS.valueSerde(registry).deserialize(Topics.POSTS.name(),
                corpus.get("posts/question-too-long").value()).getQuestion();
        assertThat(question.length()).isGreaterThan(2000);
        var many = Topics.POSTS.valueSerde(registry).deserialize(Topics.POSTS.name(),
                corpus.get("posts/too-many-images").value());
        assertThat(many.getImages()).hasSize(17);
        int near = corpus.get("posts/near-record-limit").value().length;
        assertThat(near).isBetween(Topics.MAX_RECORD_BYTES - 512 * 1024, Topics.MAX_RECORD_BYTES - 128 * 1024);
    }

    @Test
    void imageBombsDeclareHugeSizesAndTheZtxtChunkInflatesToAGibibyte() throws IOException {
        byte[] png = image("posts/png-declares-100000x100000");
        assertThat(size(png)).containsExactly(100_000, 100_000);
        byte[] gif = image("posts/gif-huge-logical-screen");
        assertThat(new String(gif, 0, 6, StandardCharsets.US_ASCII)).isEqualTo("GIF89a");
        assertThat((gif[6] & 0xff) | (gif[7] & 0xff) << 8).isEqualTo(65_535);
        assertThat((gif[8] & 0xff) | (gif[9] & 0xff) << 8).isEqualTo(65_535);

        byte[] bomb = image("posts/png-ztxt-bomb");
        assertThat(bomb.length).isLessThan(2 * 1024 * 1024);
        assertThat(new String(bomb, ImageBombs.AFTER_IHDR + 4, 4, StandardCharsets.US_ASCII)).isEqualTo("zTXt");
        int chunkLength = ByteBuffer.wrap(bomb, ImageBombs.AFTER_IHDR, 4).getInt();
        int textStart = ImageBombs.AFTER_IHDR + 8 + "Comment".length() + 2;
        long inflated = 0;
        try (InputStream in = new InflaterInputStream(new ByteArrayInputStream(bomb, textStart,
                chunkLength - "Comment".length() - 2))) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                inflated += n;
            }
        }
        assertThat(inflated).isEqualTo(1L << 30);
        assertThat(size(bomb)).containsExactly(64, 64);  // the pixels are a valid image
    }

    private static <V extends org.apache.avro.specific.SpecificRecord> V decode(Topic<V> topic, String name) {
        return topic.valueSerde(registry).deserialize(topic.name(), corpus.get(name).value());
    }

    private static byte[] image(String name) {
        var post = Topics.POSTS.valueSerde(registry).deserialize(Topics.POSTS.name(), corpus.get(name).value());
        ByteBuffer b = post.getImages().get(0).getData();
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** Width and height from the header, as ImageIO reads them (no pixels, no metadata). */
    private static int[] size(byte[] image) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(image))) {
            ImageReader r = ImageIO.getImageReaders(in).next();
            r.setInput(in, true, true);
            try {
                return new int[] {r.getWidth(0), r.getHeight(0)};
            } finally {
                r.dispose();
            }
        }
    }
}
