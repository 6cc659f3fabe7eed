package io.llavastream.stage;

import io.llavastream.model.VisionParts;
import io.llavastream.model.image.InvalidImageException;
import io.llavastream.model.vision.VisionFeatures;
import io.llavastream.rules.CacheKey;
import io.llavastream.rules.DeadLetterReason;
import io.llavastream.rules.ImageTasks;
import io.llavastream.rules.StageName;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.MergeRequest;
import io.llavastream.schemas.TaskRef;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.tensor.WireDtype;
import io.llavastream.topics.Topic;
import io.llavastream.topics.Topics;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * The vision stage: decodes and preprocesses each image, runs the CLIP vision tower once over the batch's good
 * images, and per image publishes its patch features Zv [P,Dv] (in the {@link WireDtype}, FP16 by default) and
 * L2-normalised CLIP embedding [E] (always FP32: it is small, and search ranks by it) to the vision cache and the
 * embedding topic (both keyed by {@link CacheKey}) and a merge request (keyed by task id). An image that cannot be
 * decoded, or whose bytes do not hash to the task's SHA-256, fails alone, with an ERROR answer so
 * its post still completes.
 *
 * <p>Reads {@link Topics#VISION_REQUESTS}; writes {@link Topics#VISION_FEATURES}, {@link Topics#IMAGE_EMBEDDINGS},
 * {@link Topics#MERGE_REQUESTS} and, for failed images, {@link Topics#ANSWERS}.
 */
public final class VisionMachine extends BatchMachine<ImageTask> {
    private final VisionParts parts;
    private final String visionModelId;
    private final ErrorAnswers errors;
    private final DType wire;

    /** A machine writing Zv in the default {@link WireDtype}. */
    public VisionMachine(VisionParts parts, int maxBatch, Clock clock) {
        this(parts, maxBatch, WireDtype.defaultDtype(), clock);
    }

    /**
     * A machine over {@code parts} (which the caller keeps and closes) taking batches of up to {@code maxBatch} and
     * writing Zv as {@code wire} (the {@link WireDtype} setting).
     */
    public VisionMachine(VisionParts parts, int maxBatch, DType wire, Clock clock) {
        super(maxBatch);
        this.parts = parts;
        this.visionModelId = parts.visionModelId();
        this.errors = new ErrorAnswers(parts.modelId(), clock);
        this.wire = wire;
    }

    @Override
    public StageName stage() {
        return StageName.VISION;
    }

    @Override
    public Topic<ImageTask> input() {
        return Topics.VISION_REQUESTS;
    }

    @Override
    public List<StageResult> process(List<ImageTask> batch) {
        StageResult[] results = new StageResult[batch.size()];
        List<Integer> good = new ArrayList<>();
        List<float[]> pixels = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            try {
                pixels.add(pixelValues(batch.get(i)));
                good.add(i);
            } catch (InvalidImageException e) {
                results[i] = failed(batch.get(i), reason(e), e.reason() + ": " + e.getMessage());
            } catch (ImageHashException e) {
                results[i] = failed(batch.get(i), DeadLetterReason.IMAGE_HASH_MISMATCH, e.getMessage());
            }
        }
        if (!good.isEmpty()) {
            encode(batch, good, pixels, results);
        }
        return List.of(results);
    }

    @Override
    public StageResult failed(ImageTask input, DeadLetterReason reason, String message) {
        return StageResult.failed(reason, message, List.of(errors.of(input.getTask(), reason, message)));
    }

    /** Pixel values [3,H,W], after checking that the bytes are the image the task's SHA-256 (the cache key) names. */
    private float[] pixelValues(ImageTask t) {
        byte[] image = bytes(t.getImage());
        String sha = ImageTasks.sha256Hex(image);
        if (!sha.equals(t.getTask().getImageSha256())) {
            throw new ImageHashException("image bytes hash to " + sha + ", the task says "
                    + t.getTask().getImageSha256());
        }
        return parts.pixelValues(image);
    }

    /** One vision tower run over the good images ([N,3,H,W]); each image is charged 1/N of its time. */
    private void encode(List<ImageTask> batch, List<Integer> good, List<float[]> pixels, StageResult[] results) {
        long t0 = System.nanoTime();
        VisionFeatures zv = parts.tower().encode(FloatArrays.concat(pixels), pixels.size());
        double msEach = (System.nanoTime() - t0) / 1e6 / pixels.size();
        for (int j = 0; j < good.size(); j++) {
            TaskRef task = batch.get(good.get(j)).getTask();
            results[good.get(j)] = StageResult.ok(outputs(task, zv, j, msEach));
        }
    }

    private List<Output<?>> outputs(TaskRef task, VisionFeatures zv, int i, double visionMs) {
        io.llavastream.schemas.VisionFeatures f = io.llavastream.schemas.VisionFeatures.newBuilder()
                .setImageSha256(task.getImageSha256())
                .setVisionModelId(visionModelId)
                .setPatchFeatures(TensorCodec.encode(wire, zv.patchFeatures(i), zv.patches(), zv.featureDim()))
                // the CLIP embedding stays FP32: 3 KB at LLaVA-1.5-7B size, and search ranks by it
                .setImageEmbedding(TensorCodec.fp32(zv.normalizedEmbedding(i), zv.embedDim()))
                .setVisionMs(visionMs)
                .build();
        ImageEmbedding e = ImageEmbedding.newBuilder()
                .setImageSha256(task.getImageSha256())
                .setModelId(visionModelId)
                .setEmbedding(f.getImageEmbedding())
                .setPostId(task.getPostId())
                .setImageIndex(task.getImageIndex())
                .build();
        MergeRequest m = MergeRequest.newBuilder().setTask(task).setFeatures(f).setCacheHit(false).build();
        String cacheKey = CacheKey.of(task.getImageSha256(), visionModelId);
        return List.of(new Output<>(Topics.VISION_FEATURES, cacheKey, f),
                new Output<>(Topics.IMAGE_EMBEDDINGS, cacheKey, e),
                new Output<>(Topics.MERGE_REQUESTS, task.getTaskId(), m));
    }

    /** Too many pixels is an oversized image; every other refusal (truncated, not an image, ...) a corrupt one. */
    public static DeadLetterReason reason(InvalidImageException e) {
        return e.reason() == InvalidImageException.Reason.TOO_MANY_PIXELS ? DeadLetterReason.IMAGE_TOO_LARGE
                : DeadLetterReason.CORRUPT_IMAGE;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    /** The task's SHA-256 is not that of its image bytes: caching the features under it would poison the cache. */
    private static final class ImageHashException extends RuntimeException {
        ImageHashException(String message) {
            super(message);
        }
    }
}
