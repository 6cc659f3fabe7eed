package io.llavastream.model;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * One ONNX graph in an ONNX Runtime session, shared by the stage classes. It checks at load time that the graph
 * has the inputs and outputs the stage will use, so a wrong file fails at start-up and not mid-stream.
 */
public final class OnnxGraph implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final Path path;
    private final Engine engine;

    /**
     * Loads the graph on {@code options}' engine. A GPU engine that is missing or fails to start (also when the
     * session is created) throws a {@link ModelException} naming it, or runs on the CPU when the options fall back.
     */
    public OnnxGraph(Path path, EngineOptions options, Set<String> inputs, Set<String> outputs) {
        this(path, options, inputs, outputs, true);
    }

    /**
     * @param spinning whether idle intra-op threads spin (ONNX Runtime's default) or sleep. Two sessions that take
     *                 turns on the same cores, as the decoder's prefill and step graphs do, should not spin: the
     *                 idle session's spinning threads take the cores the running one needs.
     */
    public OnnxGraph(Path path, EngineOptions options, Set<String> inputs, Set<String> outputs, boolean spinning) {
        this.path = path;
        String what = String.valueOf(path.getFileName());
        OrtSession created;
        Engine used;
        try (EngineOptions.Resolved r = options.sessionOptions(what)) {
            used = r.engine();
            if (!spinning) {
                r.options().addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            created = env.createSession(path.toString(), r.options());
        } catch (OrtException e) {
            if (options.engine() == Engine.CPU || !java.nio.file.Files.isRegularFile(path)) {
                throw new ModelException("cannot load " + path + ": " + e.getMessage(), e);
            }
            // the provider was added but the session would not start on it (no driver, wrong CUDA, cuDNN missing)
            try (EngineOptions.Resolved r = options.unavailable(what, "engine " + options.engine()
                    + " could not create a session for " + path + " on ONNX Runtime's "
                    + options.engine().providerName() + " (device " + options.deviceId() + "): " + e.getMessage()
                    + "; fix the GPU setup, or set engine.fallback=cpu", e)) {
                used = r.engine();
                if (!spinning) {
                    r.options().addConfigEntry("session.intra_op.allow_spinning", "0");
                }
                created = env.createSession(path.toString(), r.options());
            } catch (OrtException cpu) {
                throw new ModelException("cannot load " + path + ": " + cpu.getMessage(), cpu);
            }
        }
        this.session = created;
        this.engine = used;
        requireNames("input", inputs, session.getInputNames());
        requireNames("output", outputs, session.getOutputNames());
    }

    /** Runs the graph; the caller closes the result (which closes its output tensors). */
    public OrtSession.Result run(Map<String, OnnxTensor> inputs) {
        try {
            return session.run(inputs);
        } catch (OrtException e) {
            throw new ModelException(path.getFileName() + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs the graph writing its outputs into {@code pinned} (tensors the caller owns, over its own buffers, of the
     * outputs' exact shapes): ONNX Runtime allocates and copies nothing for them. Only those outputs are computed.
     * The caller closes the result; that leaves the pinned tensors open.
     */
    public OrtSession.Result run(Map<String, OnnxTensor> inputs, Map<String, OnnxTensor> pinned) {
        try {
            return session.run(inputs, pinned);
        } catch (OrtException e) {
            throw new ModelException(path.getFileName() + " failed: " + e.getMessage(), e);
        }
    }

    public OnnxTensor floats(float[] data, long... shape) {
        return floats(FloatBuffer.wrap(data), shape);
    }

    public OnnxTensor floats(FloatBuffer data, long... shape) {
        try {
            return OnnxTensor.createTensor(env, data, shape);
        } catch (OrtException e) {
            throw new ModelException("cannot create float tensor " + java.util.Arrays.toString(shape), e);
        }
    }

    public OnnxTensor longs(long[] data, long... shape) {
        return longs(LongBuffer.wrap(data), shape);
    }

    /** A tensor over {@code data}; zero-copy when the buffer is direct and in native order. */
    public OnnxTensor longs(LongBuffer data, long... shape) {
        try {
            return OnnxTensor.createTensor(env, data, shape);
        } catch (OrtException e) {
            throw new ModelException("cannot create int64 tensor " + java.util.Arrays.toString(shape), e);
        }
    }

    /** Copies a float output into a new array. */
    public static float[] floatsOf(OrtSession.Result r, String name) {
        OnnxTensor t = (OnnxTensor) r.get(name).orElseThrow(() -> new ModelException("graph has no output " + name));
        FloatBuffer b = t.getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    public static long[] shapeOf(OrtSession.Result r, String name) {
        try {
            return ((OnnxTensor) r.get(name).orElseThrow()).getInfo().getShape();
        } catch (RuntimeException e) {
            throw new ModelException("graph has no output " + name, e);
        }
    }

    public Path path() {
        return path;
    }

    /** The engine this graph really runs on: CPU after a fallback. */
    public Engine engine() {
        return engine;
    }

    private void requireNames(String kind, Set<String> wanted, Set<String> actual) {
        for (String w : wanted) {
            if (!actual.contains(w)) {
                throw new ModelException(path + " has no " + kind + " '" + w + "'; it has " + actual);
            }
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new ModelException("cannot close " + path, e);
        }
    }
}
