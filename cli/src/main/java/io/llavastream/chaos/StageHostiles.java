package io.llavastream.chaos;

import static io.llavastream.chaos.CorpusContext.NEAR_2_31;
import static io.llavastream.chaos.CorpusContext.UNREGISTERED_ID;
import static io.llavastream.chaos.CorpusContext.utf8;
import static io.llavastream.rules.DeadLetterReason.*;

import io.llavastream.pipeline.PngPosts;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.Tensor;
import io.llavastream.schemas.VisionFeatures;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

/**
 * Hostile records on the stage workers' input topics: {@link Topics#VISION_REQUESTS} (vision),
 * {@link Topics#MERGE_REQUESTS} (merge) and {@link Topics#DECODE_REQUESTS} (decode). Each task belongs to a post
 * that was never sent, so a failed task's ERROR answer completes nothing.
 */
final class StageHostiles {
    private final CorpusContext c;
    private final List<HostileRecord> out = new ArrayList<>();

    private StageHostiles(CorpusContext c) {
        this.c = c;
    }

    static List<HostileRecord> build(CorpusContext c) {
        StageHostiles s = new StageHostiles(c);
        s.visionRequests();
        s.mergeRequests();
        s.decodeRequests();
        return s.out;
    }

    private void visionRequests() {
        Topic<ImageTask> t = Topics.VISION_REQUESTS;
        byte[] png = c.freshPng();
        byte[] corrupt = ImageBombs.corruptPng(21, 2048);
        byte[] huge = ImageBombs.pngDeclaring(100_000, 100_000);
        add(t, "tombstone", null, NULL_VALUE, "vision", "no value");
        add(t, "not-avro", utf8("{\"task\": \"json, not avro\"}"), NOT_AVRO, "vision", "JSON instead of Avro");
        add(t, "sha256-mismatch", c.encode(t, imageTask("sha256-mismatch", png, "ab".repeat(32))),
                IMAGE_HASH_MISMATCH, "vision", "a valid PNG whose task names another SHA-256 (cache poisoning)");
        add(t, "corrupt-image", c.encode(t, imageTask("corrupt-image", corrupt, ImageTasks.sha256Hex(corrupt))),
                CORRUPT_IMAGE, "vision", "PNG signature and noise, with its true SHA-256");
        add(t, "png-declares-100000x100000", c.encode(t, imageTask("png-declares-100000x100000", huge,
                ImageTasks.sha256Hex(huge))), IMAGE_TOO_LARGE, "vision", "a PNG header of 100000 x 100000 pixels");
        add(t, "image-bytes-length-bomb", AvroPrefix.header(c.schemaId(t))
                .record(c.task(c.postId("vr-image-bytes-length-bomb"), "0".repeat(64))).string("image/png")
                .length(NEAR_2_31 - 1).raw(ImageBombs.PNG_SIGNATURE).bytes(), AVRO_LIMIT, "vision",
                "image bytes length 2^31-17");
        add(t, "schema-id-of-post", c.encode(Topics.POSTS, PngPosts.of(c.postId("vr-post"), "chaos", png)),
                NOT_AVRO, "vision", "a valid Post, with the Post schema's id, on vision-requests");
    }

    private void mergeRequests() {
        Topic<MergeRequest> t = Topics.MERGE_REQUESTS;
        ModelFacts m = c.model();
        int zvBytes = m.patches() * m.featureDim() * 4;
        Tensor zv = TensorCodec.fp32(new float[m.patches() * m.featureDim()], m.patches(), m.featureDim());
        Tensor shortData = new Tensor(DType.FP32, new ArrayList<>(List.of(m.patches(), m.featureDim())),
                ByteBuffer.wrap(new byte[zvBytes / 2]));
        add(t, "tombstone", null, NULL_VALUE, "merge", "no value");
        add(t, "features-wrong-shape", c.encode(t, merge("features-wrong-shape",
                TensorCodec.fp32(new float[15], 3, 5), m.visionModelId(), null)), BAD_TENSOR, "merge",
                "patch features of shape [3, 5], expected [" + m.patches() + ", " + m.featureDim() + "]");
        add(t, "tensor-bytes-disagree-with-shape", c.encode(t, merge("tensor-bytes-disagree-with-shape", shortData,
                m.visionModelId(), null)), BAD_TENSOR, "merge", "FP32 shape [" + m.patches() + ", "
                + m.featureDim() + "] with half the bytes it needs");
        add(t, "features-of-another-vision-model", c.encode(t, merge("features-of-another-vision-model", zv,
                "hostile/another-vision-tower", null)), MODEL_MISMATCH, "merge",
                "features of the right shape from another vision tower");
        add(t, "prompt-without-image-placeholder", c.encode(t, merge("prompt-without-image-placeholder", zv,
                m.visionModelId(), "USER: describe nothing. ASSISTANT:")), BAD_PROMPT, "merge",
                "a task prompt without <image>");
        add(t, "shape-count-bomb", AvroPrefix.header(c.schemaId(t))
                .record(c.task(c.postId("mr-shape-count-bomb"), "0".repeat(64))).string("0".repeat(64))
                .string(m.visionModelId()).intValue(DType.FP32.ordinal()).length(NEAR_2_31).intValue(8).bytes(),
                AVRO_LIMIT, "merge", "patch_features shape array count 2^31-16");
        add(t, "unknown-schema-id", AvroPrefix.header(UNREGISTERED_ID).raw(utf8("anything")).bytes(),
                UNKNOWN_SCHEMA_ID, "merge", "schema id " + UNREGISTERED_ID + ", which the registry does not know");
    }

    private void decodeRequests() {
        Topic<DecodeRequest> t = Topics.DECODE_REQUESTS;
        ModelFacts m = c.model();
        int tooLong = m.contextLength() + 44;
        byte[] nearLimit = new byte[Topics.MAX_RECORD_BYTES - PostHostiles.NEAR_LIMIT_SLACK];
        Arrays.fill(nearLimit, (byte) '#');
        add(t, "tombstone", null, NULL_VALUE, "decode", "no value");
        add(t, "prompt-longer-than-context", c.encode(t, decode("prompt-longer-than-context", tooLong,
                TensorCodec.fp32(new float[tooLong * m.hiddenSize()], tooLong, m.hiddenSize()))),
                BAD_DECODE_REQUEST, "decode", "a prompt of " + tooLong + " tokens; the context is "
                        + m.contextLength());
        add(t, "tensor-bytes-disagree-with-shape", c.encode(t, decode("tensor-bytes-disagree-with-shape", 80,
                new Tensor(DType.FP32, new ArrayList<>(List.of(80, m.hiddenSize())), ByteBuffer.wrap(new byte[12])))),
                BAD_TENSOR, "decode", "inputs_embeds FP32 [80, " + m.hiddenSize() + "] with 12 bytes of data");
        Tensor oneRow = TensorCodec.fp16(new float[m.hiddenSize()], 1, m.hiddenSize());
        add(t, "image-position-outside-prompt", c.encode(t, withHv("image-position-outside-prompt", 80, oneRow,
                List.of(80))), BAD_DECODE_REQUEST, "decode", "Hv [1, D] at position 80 of an 80-token prompt");
        DecodeRequest negative = withHv("input-id-outside-vocabulary", 80, oneRow, List.of(1));
        List<Long> ids = new ArrayList<>(negative.getInputIds());
        ids.set(0, -1L);
        negative.setInputIds(ids);
        add(t, "input-id-outside-vocabulary", c.encode(t, negative), BAD_DECODE_REQUEST, "decode",
                "input_ids[0] = -1");
        add(t, "image-features-bytes-disagree-with-shape", c.encode(t, withHv(
                "image-features-bytes-disagree-with-shape", 80, new Tensor(DType.FP16,
                        new ArrayList<>(List.of(1, m.hiddenSize())), ByteBuffer.wrap(new byte[12])), List.of(1))),
                BAD_TENSOR, "decode", "image_features FP16 [1, " + m.hiddenSize() + "] with 12 bytes of data");
        add(t, "input-ids-count-bomb", AvroPrefix.header(c.schemaId(t))
                .record(c.task(c.postId("dr-input-ids-count-bomb"), "0".repeat(64))).length(NEAR_2_31).longValue(1)
                .bytes(), AVRO_LIMIT, "decode", "input_ids array count 2^31-16");
        add(t, "near-record-limit-not-avro", nearLimit, NOT_AVRO, "decode",
                "16 MiB - 256 KiB of '#': not Avro, and too large for a dead letter to carry whole");
        out.add(new HostileRecord("decode-requests/null-key-not-avro", t.name(), null, utf8("no key, no avro"),
                null, Expectation.deadLetter(NOT_AVRO, "decode"), "a null key and a value that is not Avro"));
        add(t, "schema-id-of-post", c.encode(Topics.POSTS, PngPosts.of(c.postId("dr-post"), "chaos", c.freshPng())),
                NOT_AVRO, "decode", "a valid Post, with the Post schema's id, on decode-requests");
    }

    private ImageTask imageTask(String name, byte[] image, String sha) {
        return ImageTask.newBuilder().setTask(c.task(c.postId("vr-" + name), sha)).setContentType("image/png")
                .setImage(ByteBuffer.wrap(image)).build();
    }

    private MergeRequest merge(String name, Tensor zv, String visionModelId, String prompt) {
        ModelFacts m = c.model();
        TaskRef task = prompt == null ? c.task(c.postId("mr-" + name), "0".repeat(64))
                : c.task(c.postId("mr-" + name), "0".repeat(64), prompt);
        VisionFeatures f = VisionFeatures.newBuilder().setImageSha256("0".repeat(64)).setVisionModelId(visionModelId)
                .setPatchFeatures(zv).setImageEmbedding(TensorCodec.fp32(new float[m.embedDim()], m.embedDim()))
                .setVisionMs(1.0).build();
        return MergeRequest.newBuilder().setTask(task).setFeatures(f).setCacheHit(false).build();
    }

    private DecodeRequest decode(String name, int tokens, Tensor embeds) {
        return DecodeRequest.newBuilder().setTask(c.task(c.postId("dr-" + name), "0".repeat(64)))
                .setInputIds(LongStream.range(0, tokens).map(i -> 5 + i % 20).boxed().toList())
                .setInputsEmbeds(embeds).setModelId(c.model().modelId())
                .setTimings(StageTimings.newBuilder().build()).build();
    }

    /** A request in the current format: ids, Hv and its positions, no inputs_embeds. */
    private DecodeRequest withHv(String name, int tokens, Tensor hv, List<Integer> positions) {
        return DecodeRequest.newBuilder(decode(name, tokens, null)).setImageFeatures(hv)
                .setImagePositions(new ArrayList<>(positions)).build();
    }

    /** Adds "&lt;topic short name&gt;/&lt;name&gt;", keyed like the topic's real records (a task id). */
    private void add(Topic<?> t, String name, byte[] value, DeadLetterReason reason, String by, String what) {
        String shortName = t.name().substring(t.name().indexOf('.') + 1);
        String key = ImageTasks.taskId(c.postId(shortName + "-" + name), 0);
        out.add(new HostileRecord(shortName + "/" + name, t.name(), utf8(key), value, null,
                Expectation.deadLetter(reason, by), what));
    }
}
