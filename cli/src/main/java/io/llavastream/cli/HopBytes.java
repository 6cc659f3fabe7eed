package io.llavastream.cli;

import io.llavastream.rules.ImageTasks;
import io.llavastream.rules.PromptRule;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostPart;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.Tensor;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.pipeline.PngPosts;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.apache.avro.specific.SpecificRecord;

/**
 * The serialized bytes of every record that crosses Kafka for one one-image caption post (a vision-cache miss), per
 * hop, with the real Avro serdes (Confluent wire format) on synthetic records of the real shapes. "before" is the
 * format up to issue 9 (Zv FP32, the merged [T, D] prompt as FP32 inputs_embeds); "after" is the current one (Zv
 * and Hv in the wire dtype, ids and image positions instead of the prompt). Tensor contents are random: Avro stores
 * tensor bytes as they are, so only the shapes matter. Sizes are of the serialized record value, before any
 * producer compression and without Kafka's per-record and per-batch overhead.
 */
final class HopBytes {
    /** The sizes that decide the bytes: image tokens P, vision width Dv, LM width D, CLIP width E, and the rest. */
    record Shapes(String model, int imageTokens, int visionWidth, int hiddenSize, int embedWidth, int textTokens,
                  int imageBytes, long imageTokenId, int vocab, int answerTokens, String answerText) {
        int promptTokens() {
            return imageTokens + textTokens;
        }
    }

    /** One hop: the topic, the record type, what it carries, and its serialized size. */
    record Hop(String bench, String model, String format, String topic, String record, String payload,
               long bytes) {
    }

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
    /** Reset for every {@link #hops} call, so that "before" and "after" hold the same ids, text and image. */
    private Random random;

    /** Every hop of one post, then one "total" row, for {@code shapes} in {@code format} ("before" or "after"). */
    List<Hop> hops(Shapes s, String format, DType wire) {
        random = new Random(9);
        boolean before = format.equals("before");
        DType zvType = before ? DType.FP32 : wire;
        List<Hop> out = new ArrayList<>();
        Instant t = Instant.ofEpochMilli(1_800_000_000_000L);
        Post post = PngPosts.of("bench-post-000001", "forum", random(s.imageBytes()));
        post.setCreatedAt(t);
        ImageTask task = ImageTasks.split(post, PromptRule.defaults(), t).get(0);
        TaskRef ref = task.getTask();
        VisionFeatures features = VisionFeatures.newBuilder().setImageSha256(ref.getImageSha256())
                .setVisionModelId("llava-hf/" + s.model()).setVisionMs(12.5)
                .setPatchFeatures(tensor(zvType, s.imageTokens(), s.visionWidth()))
                .setImageEmbedding(tensor(DType.FP32, s.embedWidth())).build();
        MergeRequest merge = MergeRequest.newBuilder().setTask(ref).setFeatures(features).setCacheHit(false).build();
        ImageEmbedding embedding = ImageEmbedding.newBuilder().setImageSha256(ref.getImageSha256())
                .setModelId(features.getVisionModelId()).setEmbedding(features.getImageEmbedding())
                .setPostId(ref.getPostId()).setImageIndex(0).build();
        DecodeRequest decode = decodeRequest(s, ref, before, wire);
        Answer answer = answer(s, ref, t);
        CaptionedPost captioned = captioned(post, answer, t);
        String zv = "Zv " + zvType + " " + List.of(s.imageTokens(), s.visionWidth()) + " + CLIP embedding FP32 ["
                + s.embedWidth() + "]";
        add(out, s, format, Topics.POSTS, post, "the image, " + s.imageBytes() + " B");
        if (before) {  // issue 9 removed this repartition: vision-requests are now written by the splitter itself
            out.add(hop(s, format, "(internal) <application.id>-images-by-cache-key-repartition", "ImageTask",
                    "the image again", size(Topics.VISION_REQUESTS, task)));
        }
        add(out, s, format, Topics.VISION_REQUESTS, task, "the image again");
        add(out, s, format, Topics.VISION_FEATURES, features, zv);
        add(out, s, format, Topics.MERGE_REQUESTS, merge, zv);
        add(out, s, format, Topics.IMAGE_EMBEDDINGS, embedding, "CLIP embedding FP32 [" + s.embedWidth() + "]");
        add(out, s, format, Topics.DECODE_REQUESTS, decode, before
                ? "inputs_embeds FP32 " + List.of(s.promptTokens(), s.hiddenSize()) + " + " + s.promptTokens() + " ids"
                : "Hv " + wire + " " + List.of(s.imageTokens(), s.hiddenSize()) + " + " + s.promptTokens() + " ids + "
                + s.imageTokens() + " positions");
        add(out, s, format, Topics.ANSWERS, answer, s.answerTokens() + " tokens of text and ids");
        AvroSerde<PostPart> parts = new AvroSerde<>(PostPart.class, registry);
        PostPart metadata = PostPart.newBuilder().setPost(CaptionedPost.newBuilder(captioned).setAnswers(List.of())
                .setRenderedBody("").build()).build();
        out.add(hop(s, format, "(internal) <application.id>-post-parts-by-post-repartition", "PostPart",
                "post metadata, then the answer", parts.serialize("p", metadata).length
                        + parts.serialize("p", PostPart.newBuilder().setAnswer(answer).build()).length));
        add(out, s, format, Topics.CAPTIONED_POSTS, captioned, "the body and the caption");
        out.add(hop(s, format, "total", "", "every record above, once", out.stream().mapToLong(Hop::bytes).sum()));
        return out;
    }

    private DecodeRequest decodeRequest(Shapes s, TaskRef ref, boolean before, DType wire) {
        Random text = new Random(7);  // the same ids before and after, whatever the tensors drew
        long[] ids = LongStream.range(0, s.promptTokens()).map(i -> i >= 5 && i < 5 + s.imageTokens()
                ? s.imageTokenId() : 1 + text.nextInt(s.vocab() - 1)).toArray();
        DecodeRequest.Builder b = DecodeRequest.newBuilder().setTask(ref)
                .setInputIds(LongStream.of(ids).boxed().toList()).setModelId("llava-hf/" + s.model())
                .setTimings(StageTimings.newBuilder().setVisionMs(12.5).setMergeMs(3.25).build());
        if (before) {
            return b.setInputsEmbeds(tensor(DType.FP32, s.promptTokens(), s.hiddenSize())).build();
        }
        return b.setImageFeatures(tensor(wire, s.imageTokens(), s.hiddenSize()))
                .setImagePositions(IntStream.range(5, 5 + s.imageTokens()).boxed().toList()).build();
    }

    private Answer answer(Shapes s, TaskRef ref, Instant t) {
        Random random = new Random(5);
        return Answer.newBuilder().setTask(ref).setText(s.answerText())
                .setTokenIds(LongStream.range(0, s.answerTokens()).map(i -> 1 + random.nextInt(s.vocab() - 1))
                        .boxed().toList())
                .setFinishReason(FinishReason.EOS).setModelId("llava-hf/" + s.model())
                .setTimings(StageTimings.newBuilder().setVisionMs(12.5).setMergeMs(3.25).setPrefillMs(40.5)
                        .setDecodeMs(300.25).setGeneratedTokens(s.answerTokens()).build())
                .setError(null).setCompletedAt(t).build();
    }

    private static CaptionedPost captioned(Post post, Answer a, Instant t) {
        ImageAnswer ia = ImageAnswer.newBuilder().setImageIndex(0).setImageSha256(a.getTask().getImageSha256())
                .setText(a.getText()).setFailed(false).setError(null).setModelId(a.getModelId()).build();
        java.util.List<String> urls = new ArrayList<>();
        urls.add(null);
        return CaptionedPost.newBuilder().setPostId(post.getId()).setSource(post.getSource()).setAnswers(List.of(ia))
                .setCreatedAt(t).setBody(post.getBody()).setRenderedBody("[Image: " + a.getText() + "]")
                .setImageUrls(urls).setReceivedAt(t).setCompletedAt(t).build();
    }

    private <V extends SpecificRecord> void add(List<Hop> out, Shapes s, String format, Topic<V> topic, V value,
                                                String payload) {
        out.add(hop(s, format, topic.name(), value.getClass().getSimpleName(), payload, size(topic, value)));
    }

    private <V extends SpecificRecord> long size(Topic<V> topic, V value) {
        return topic.valueSerde(registry).serialize(topic.name(), value).length;
    }

    private static Hop hop(Shapes s, String format, String topic, String record, String payload, long bytes) {
        return new Hop("bytes", s.model(), format, topic, record, payload, bytes);
    }

    private Tensor tensor(DType dtype, int... shape) {
        float[] v = new float[(int) TensorCodec.elements(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return TensorCodec.encode(dtype, v, shape);
    }

    private byte[] random(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
