package io.llavastream.scale;

import io.llavastream.rules.CacheKey;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.Answer;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.DecodeRequest;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.StageTimings;
import io.llavastream.schemas.TaskRef;
import io.llavastream.schemas.Tensor;
import io.llavastream.schemas.VisionFeatures;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Every record the simulation puts on the wire, at the sizes of {@link TensorSizes}, in one place so that a change
 * of the wire format is a change here. Tensor bytes are random (fixed seed) and shared by all records: the
 * simulation never reads them, and the serializer copies them like real ones.
 *
 * <p>The merge stage's output is the lean {@link DecodeRequest} of issue 9: the prompt's ids with {@code <image>}
 * expanded to one placeholder per image token, Hv [576, 4096] fp16 and the image positions; decode embeds the ids
 * itself.
 */
public final class ScalePayloads {
    /** Model ids of the simulated model: a simulation's records can never pass for a real model's. */
    public static final String MODEL_ID = "simulated/llava-1.5-7b";
    public static final String VISION_MODEL_ID = "simulated/clip-vit-large-patch14-336";
    static final String SOURCE = "bench-scale";
    /** LLaVA-1.5's {@code <image>} id (32000 in its tokenizer), repeated once per image token. */
    static final long IMAGE_TOKEN_ID = 32000L;
    /** Text tokens before {@code <image>} ("USER: " and the system prompt's tail). */
    static final int TEXT_BEFORE_IMAGE = 5;
    static final String PROMPT = "USER: <image>\nDescribe this image in a few sentences. ASSISTANT:";

    private final TensorSizes sizes;
    private final byte[] image;
    private final byte[] zv;
    private final byte[] hv;
    private final byte[] embedding;
    /** [T]: the text tokens before the image, one placeholder per image token, then the rest of the text. */
    private final List<Long> inputIds;
    /** [N]: where the image tokens sit in {@link #inputIds}. */
    private final List<Integer> imagePositions;

    public ScalePayloads(TensorSizes sizes) {
        this.sizes = sizes;
        Random random = new Random(7);
        this.image = bytes(random, sizes.imageBytes());
        this.zv = bytes(random, (int) sizes.zvBytes());
        this.hv = bytes(random, (int) sizes.hvBytes());
        this.embedding = bytes(random, 2 * sizes.embedDim());
        int before = Math.min(TEXT_BEFORE_IMAGE, sizes.promptTokens());
        List<Long> ids = new ArrayList<>(sizes.promptTokens() + sizes.patches());
        List<Integer> positions = new ArrayList<>(sizes.patches());
        for (int i = 0; i < before; i++) {
            ids.add(1000L + i);
        }
        for (int p = 0; p < sizes.patches(); p++) {
            positions.add(ids.size());
            ids.add(IMAGE_TOKEN_ID);
        }
        for (int i = before; i < sizes.promptTokens(); i++) {
            ids.add(1000L + i);
        }
        this.inputIds = List.copyOf(ids);
        this.imagePositions = List.copyOf(positions);
    }

    public TensorSizes sizes() {
        return sizes;
    }

    /** Post {@code index}'s one image as the topology would hand it to vision; every post's bytes differ. */
    public ImageTask imageTask(String taskId, int index, Instant receivedAt) {
        byte[] bytes = image.clone();
        for (int i = 0; i < 4 && i < bytes.length; i++) {
            bytes[i] = (byte) (index >>> (8 * i));
        }
        TaskRef task = TaskRef.newBuilder().setTaskId(taskId).setPostId(taskId).setSource(SOURCE).setImageIndex(0)
                .setImageCount(1).setImageSha256(ImageTasks.sha256Hex(bytes)).setPrompt(PROMPT)
                .setReceivedAt(receivedAt).build();
        return ImageTask.newBuilder().setTask(task).setContentType("image/jpeg").setImage(ByteBuffer.wrap(bytes))
                .build();
    }

    /** Vision's features of the task's image: Zv [576, 1024] and the CLIP embedding [768], fp16. */
    public VisionFeatures visionFeatures(TaskRef task, double visionMs) {
        return VisionFeatures.newBuilder().setImageSha256(task.getImageSha256()).setVisionModelId(VISION_MODEL_ID)
                .setPatchFeatures(fp16(zv, sizes.patches(), sizes.visionDim()))
                .setImageEmbedding(fp16(embedding, sizes.embedDim())).setVisionMs(visionMs).build();
    }

    /** The vision cache's key for the task's image. */
    public String cacheKey(TaskRef task) {
        return CacheKey.of(task.getImageSha256(), VISION_MODEL_ID);
    }

    public MergeRequest mergeRequest(TaskRef task, VisionFeatures features) {
        return MergeRequest.newBuilder().setTask(task).setFeatures(features).setCacheHit(false).build();
    }

    /** Merge's output at 7B size: the ids (text and one placeholder per image token), Hv [576, 4096] fp16, positions. */
    public DecodeRequest decodeRequest(MergeRequest r, double mergeMs) {
        StageTimings t = StageTimings.newBuilder().setVisionMs(r.getFeatures().getVisionMs()).setMergeMs(mergeMs)
                .build();
        return DecodeRequest.newBuilder().setTask(r.getTask()).setInputIds(inputIds).setInputsEmbeds(null)
                .setImageFeatures(fp16(hv, sizes.patches(), sizes.hiddenDim())).setImagePositions(imagePositions)
                .setModelId(MODEL_ID).setTimings(t).build();
    }

    /** An answer of {@code tokens} tokens (about 5 characters of text each). */
    public Answer answer(DecodeRequest r, int tokens, double prefillMs, double decodeMs, Instant completedAt) {
        List<Long> ids = new ArrayList<>(tokens);
        StringBuilder text = new StringBuilder(tokens * 5);
        for (int i = 0; i < tokens; i++) {
            ids.add(2000L + i % 30000);
            text.append(i == 0 ? "" : " ").append("word");
        }
        StageTimings t = StageTimings.newBuilder(r.getTimings()).setPrefillMs(prefillMs).setDecodeMs(decodeMs)
                .setGeneratedTokens(tokens).build();
        return Answer.newBuilder().setTask(r.getTask()).setText(text.toString()).setTokenIds(ids)
                .setFinishReason(FinishReason.LENGTH).setModelId(MODEL_ID).setTimings(t).setError(null)
                .setCompletedAt(completedAt).build();
    }

    /** The ERROR answer for a task the simulation could not process, so that its post still completes. */
    public Answer errorAnswer(TaskRef task, DeadLetterReason reason, String message, Instant completedAt) {
        return Answer.newBuilder().setTask(task).setText("").setTokenIds(List.of()).setFinishReason(FinishReason.ERROR)
                .setModelId(MODEL_ID).setTimings(StageTimings.newBuilder().build())
                .setError(reason.name() + ": " + message).setCompletedAt(completedAt).build();
    }

    private static Tensor fp16(byte[] data, int... shape) {
        List<Integer> s = new ArrayList<>(shape.length);
        for (int d : shape) {
            s.add(d);
        }
        return Tensor.newBuilder().setDtype(DType.FP16).setShape(s).setData(ByteBuffer.wrap(data)).build();
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
