package io.llavastream.model.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.llavastream.model.LlavaConfig;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * The floor for one decode step: a bare {@code session.run} of the decoder graph for one token after a fixed past,
 * with every input tensor created once up front. Nothing of the runtime is involved.
 */
final class BareDecoderRun implements AutoCloseable {
    private final OrtSession session;
    private final Map<String, OnnxTensor> inputs = new HashMap<>();

    BareDecoderRun(Path graph, LlavaConfig.TextConfig c, int pastLength, int threads) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            session = env.createSession(graph.toString(), o);
        }
        Random rnd = new Random(1);
        inputs.put("inputs_embeds", OnnxTensor.createTensor(env, random(rnd, c.hiddenSize()), new long[] {1, 1,
                c.hiddenSize()}));
        long[] mask = new long[pastLength + 1];
        java.util.Arrays.fill(mask, 1L);
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {1, mask.length}));
        inputs.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {pastLength}),
                new long[] {1, 1}));
        int n = c.numKeyValueHeads() * pastLength * c.headDim();
        for (int i = 0; i < c.numLayers(); i++) {
            for (String kv : new String[] {"key", "value"}) {
                inputs.put("past_key_values." + i + "." + kv, OnnxTensor.createTensor(env, random(rnd, n),
                        new long[] {1, c.numKeyValueHeads(), pastLength, c.headDim()}));
            }
        }
    }

    /** One run; returns its wall time in nanoseconds. */
    long run() throws OrtException {
        long t0 = System.nanoTime();
        try (OrtSession.Result r = session.run(inputs)) {
            return System.nanoTime() - t0;
        }
    }

    private static FloatBuffer random(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian() * 0.5f;
        }
        return FloatBuffer.wrap(a);
    }

    @Override
    public void close() throws OrtException {
        for (OnnxTensor t : inputs.values()) {
            t.close();
        }
        session.close();
    }
}
