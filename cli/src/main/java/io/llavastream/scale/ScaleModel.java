package io.llavastream.scale;

/**
 * The latency model of the simulated GPUs and the batch sizes of the simulated workers. Every figure is GPU time
 * at full speed; the simulation multiplies it by its time scale. The defaults and their sources:
 *
 * <ul>
 *   <li><b>Vision</b> (a T4 per worker): CLIP ViT-L/14@336, fp16, batch 1, takes 31.6 ms per image with TensorRT
 *       (47.1 ms PyTorch, 48.4 ms ONNX Runtime CUDA), measured on a T4 by OFA-Sys/Chinese-CLIP,
 *       https://github.com/OFA-Sys/Chinese-CLIP/blob/master/deployment_En.md. Assumption: the encoder is already
 *       compute-bound at batch 1 (577 tokens through 0.3 B parameters, about 350 GFLOP per image), so a batch only
 *       saves the fixed part, put at 2 ms: {@code 2 + 29.6 * n} ms.</li>
 *   <li><b>Merge</b> (projector and token merge, an H100): the projector is a 2-layer MLP 1024 -> 4096 -> 4096
 *       over 576 tokens, 2 x 576 x (1024 x 4096 + 4096 x 4096) = 24 GFLOP per image, about 0.05 ms at half of an
 *       H100 SXM's 989 dense fp16 TFLOPS (NVIDIA H100 datasheet, docs/scaling.md [S4]). Assumption: {@code 0.5 + 0.1 * n} ms, the fixed
 *       part for launches and the token-embedding gather.</li>
 *   <li><b>Decode</b> (continuous batching, an H100, Vicuna-7B in fp16): a step reads the weights once, 13.5 GB at
 *       the H100 SXM's 3.35 TB/s = 4.0 ms, plus each row's KV cache, 0.5 MiB per token (2 x 32 layers x 4096 x 2
 *       bytes) x about 710 tokens (576 image + 74 prompt + 60 answer) = 355 MiB = 0.1 ms per row:
 *       {@code 4.0 + 0.1 * rows} ms per step. A request's prefill (2 x 6.74 B parameters x 650 tokens + attention =
 *       9.0 TFLOP, at about 60 % of 989 TFLOPS) adds 15 ms to the step it joins. Answers are 60 tokens (the
 *       workload assumed in docs/scaling.md). Check against a measurement: the same arithmetic for LLaVA-1.5-13B
 *       (26 GB of weights, 0.82 MB of KV per token, 17 TFLOP of prefill) at batch 48 gives about 20 images/s;
 *       NVIDIA/TensorRT-LLM issue #1118 (https://github.com/NVIDIA/TensorRT-LLM/issues/1118, an H100,
 *       LLaVA-1.5-13B, batch 48) reports 18.6 images/s with SGLang and 9.8 with TensorRT-LLM of early 2024 (its
 *       output length is not stated).</li>
 * </ul>
 *
 * <p>Batch sizes default to 8 for every stage (decode: 8 rows decoding, 8 more queued), so that a short run fills
 * them; a production decode server would run larger batches, which raise a worker's posts/s and so bring the
 * Kafka limit closer.
 *
 * @param vision       per vision call, per image
 * @param visionBatch  images per vision call
 * @param merge        per merge call, per image
 * @param mergeBatch   images per merge call
 * @param decodeStep   per decode step, per running row
 * @param prefillMs    added to a step for each request that joins in it
 * @param decodeBatch  rows decoding at once
 * @param answerTokens tokens per answer: a request leaves after that many steps
 * @param sizes        what goes on the wire
 */
public record ScaleModel(LatencyModel vision, int visionBatch, LatencyModel merge, int mergeBatch,
                         LatencyModel decodeStep, double prefillMs, int decodeBatch, int answerTokens,
                         TensorSizes sizes) {
    public static final LatencyModel VISION_T4_TRT = new LatencyModel(2.0, 29.6);
    public static final LatencyModel MERGE_H100 = new LatencyModel(0.5, 0.1);
    public static final LatencyModel DECODE_STEP_H100_7B = new LatencyModel(4.0, 0.1);
    public static final double PREFILL_H100_7B_MS = 15.0;

    public ScaleModel {
        if (visionBatch < 1 || mergeBatch < 1 || decodeBatch < 1 || answerTokens < 1) {
            throw new IllegalArgumentException("batches and answer tokens must be >= 1, got vision " + visionBatch
                    + ", merge " + mergeBatch + ", decode " + decodeBatch + ", answer tokens " + answerTokens);
        }
        if (!(prefillMs >= 0)) {
            throw new IllegalArgumentException("prefill must be >= 0 ms, got " + prefillMs);
        }
    }

    /** The defaults above, at LLaVA-1.5-7B sizes. */
    public static ScaleModel llava15Of7b() {
        return new ScaleModel(VISION_T4_TRT, 8, MERGE_H100, 8, DECODE_STEP_H100_7B, PREFILL_H100_7B_MS, 8, 60,
                TensorSizes.LLAVA_15_7B);
    }

    /** Images/s of one vision worker at full batches, GPU speed. */
    public double visionPerSecond() {
        return vision.itemsPerSecond(visionBatch);
    }

    /** Images/s of one merge worker at full batches, GPU speed. */
    public double mergePerSecond() {
        return merge.itemsPerSecond(mergeBatch);
    }

    /**
     * Answers/s of one decode worker with its batch full, GPU speed: {@code decodeBatch} requests leave every
     * {@code answerTokens} steps, and each one's prefill is paid once.
     */
    public double decodePerSecond() {
        double ms = answerTokens * decodeStep.ms(decodeBatch) + decodeBatch * prefillMs;
        return ms == 0 ? Double.POSITIVE_INFINITY : decodeBatch * 1000.0 / ms;
    }

    /** Posts/s (one image each) of one worker per stage at GPU speed: the slowest stage's. */
    public double postsPerSecondPerWorker() {
        return Math.min(visionPerSecond(), Math.min(mergePerSecond(), decodePerSecond()));
    }
}
