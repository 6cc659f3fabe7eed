package io.llavastream.tensor;

import io.llavastream.schemas.DType;
import io.llavastream.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * float[] to and from the wire's {@link Tensor}: dtype, shape (outermost first) and product(shape) elements,
 * little-endian, row-major. FP32 is lossless; FP16 and BF16 halve the bytes and round to nearest even.
 */
public final class TensorCodec {
    private TensorCodec() {
    }

    /** A lossless FP32 tensor of {@code values} with {@code shape}. */
    public static Tensor fp32(float[] values, int... shape) {
        return encode(DType.FP32, values, shape);
    }

    /** An FP16 tensor: values beyond 65504 become infinite, those below 2^-24 zero. */
    public static Tensor fp16(float[] values, int... shape) {
        return encode(DType.FP16, values, shape);
    }

    public static Tensor encode(DType dtype, float[] values, int... shape) {
        long n = elements(shape);
        if (n != values.length) {
            throw new IllegalArgumentException(values.length + " values do not fill shape " + List.of(box(shape))
                    + " (" + n + " elements)");
        }
        ByteBuffer data = ByteBuffer.allocate(values.length * width(dtype)).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == DType.FP32) {
            data.asFloatBuffer().put(values);
        } else {
            ShortBuffer s = data.asShortBuffer();
            for (float v : values) {
                s.put(dtype == DType.FP16 ? HalfFloats.toFp16(v) : HalfFloats.toBf16(v));
            }
        }
        return new Tensor(dtype, new ArrayList<>(List.of(box(shape))), data);
    }

    /** The tensor's elements as floats, row-major, whatever its dtype. */
    public static float[] floats(Tensor t) {
        int n = checkedLength(t);
        ByteBuffer data = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[n];
        if (t.getDtype() == DType.FP32) {
            FloatBuffer f = data.asFloatBuffer();
            f.get(out);
            return out;
        }
        ShortBuffer s = data.asShortBuffer();
        for (int i = 0; i < n; i++) {
            short h = s.get(i);
            out[i] = t.getDtype() == DType.FP16 ? HalfFloats.fromFp16(h) : HalfFloats.fromBf16(h);
        }
        return out;
    }

    /** The tensor's shape, outermost first. */
    public static int[] shape(Tensor t) {
        return t.getShape().stream().mapToInt(Integer::intValue).toArray();
    }

    /** Bytes per element: 4 for FP32, 2 for FP16 and BF16. */
    public static int width(DType dtype) {
        return dtype == DType.FP32 ? 4 : 2;
    }

    /** product(shape); every dimension must be >= 0. */
    public static long elements(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + List.of(box(shape)));
            }
            n *= d;
        }
        return n;
    }

    /** Elements of {@code t}, after checking that its bytes are exactly product(shape) x width. */
    private static int checkedLength(Tensor t) {
        long n = elements(shape(t));
        long bytes = t.getData().remaining();
        if (n * width(t.getDtype()) != bytes || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("tensor " + t.getDtype() + t.getShape() + " needs " + n
                    * width(t.getDtype()) + " bytes, has " + bytes);
        }
        return (int) n;
    }

    private static Integer[] box(int[] shape) {
        Integer[] out = new Integer[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }
}
