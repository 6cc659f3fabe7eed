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
 * little-endian, row-major. FP32 is lossless; FP16 and BF16 halve the bytes and round to nearest even. Decoding
 * checks the dtype, the shape (positive dimensions, a product that fits an array) and the byte count against each
 * other before it allocates, and throws {@link BadTensorException} (dead-letter reason BAD_TENSOR) when they
 * disagree. It reads the elements straight out of the record's buffer into the float[] where they are needed
 * ({@link #read}), with no intermediate byte[]; FP16 through a 65536-entry table.
 */
public final class TensorCodec {
    private static final DType[] KNOWN = {DType.FP32, DType.FP16, DType.BF16};

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
        return encodeRange(dtype, values, 0, shape);
    }

    /**
     * A tensor of {@code shape} from the product(shape) values of {@code values} that start at {@code offset}: one
     * item of a batch array, encoded without slicing it out first.
     */
    public static Tensor encodeRange(DType dtype, float[] values, int offset, int... shape) {
        long elements = elements(shape);
        if (elements > values.length - (long) offset || offset < 0) {
            throw new IllegalArgumentException("shape " + List.of(box(shape)) + " from offset " + offset
                    + " runs past the " + values.length + " values");
        }
        int n = (int) elements;
        ByteBuffer data = ByteBuffer.allocate(Math.multiplyExact(n, width(dtype))).order(ByteOrder.LITTLE_ENDIAN);
        if (dtype == DType.FP32) {
            data.asFloatBuffer().put(values, offset, n);
        } else {
            ShortBuffer s = data.asShortBuffer();
            for (int i = offset; i < offset + n; i++) {
                s.put(dtype == DType.FP16 ? HalfFloats.toFp16(values[i]) : HalfFloats.toBf16(values[i]));
            }
        }
        return new Tensor(dtype, new ArrayList<>(List.of(box(shape))), data);
    }

    /**
     * The tensor's elements as floats, row-major, whatever its dtype.
     *
     * @throws BadTensorException before allocating, when the tensor fails {@link #elements(Tensor)}
     */
    public static float[] floats(Tensor t) {
        return floats(t, Integer.MAX_VALUE);
    }

    /**
     * As {@link #floats(Tensor)}, refusing a tensor of more than {@code maxElements} elements: a stage that knows
     * its input's size passes it, so a valid but oversized tensor is refused before its float[] is allocated.
     */
    public static float[] floats(Tensor t, long maxElements) {
        int n = elements(t);
        if (n > maxElements) {
            throw new BadTensorException("tensor " + describe(t) + " has " + n + " elements, more than the "
                    + maxElements + " expected");
        }
        float[] out = new float[n];
        read(t, 0, n, out, 0);
        return out;
    }

    /**
     * Elements {@code [from, from + count)} of the tensor, row-major, as floats into {@code dst} from
     * {@code dstOffset}: straight from the Avro record's buffer, with no intermediate copy, so a stage can decode a
     * row where it is needed (the decode stage writes each Hv row into the prompt at its position).
     *
     * @throws BadTensorException when the tensor fails {@link #elements(Tensor)}
     * @throws IndexOutOfBoundsException when the range lies outside the tensor or {@code dst}
     */
    public static void read(Tensor t, int from, int count, float[] dst, int dstOffset) {
        int n = elements(t);
        java.util.Objects.checkFromIndexSize(from, count, n);
        java.util.Objects.checkFromIndexSize(dstOffset, count, dst.length);
        ByteBuffer data = t.getData().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (t.getDtype()) {
            case FP32 -> {
                FloatBuffer f = data.asFloatBuffer();
                f.position(from);
                f.get(dst, dstOffset, count);
            }
            case FP16 -> {
                ShortBuffer s = data.asShortBuffer();
                float[] table = HalfFloats.FP16_TABLE;
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = table[s.get(from + i) & 0xFFFF];
                }
            }
            default -> {
                ShortBuffer s = data.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    dst[dstOffset + i] = HalfFloats.fromBf16(s.get(from + i));
                }
            }
        }
    }

    /** The tensor's shape, outermost first. */
    public static int[] shape(Tensor t) {
        return t.getShape().stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Bytes per element: 4 for FP32, 2 for FP16 and BF16.
     *
     * @throws BadTensorException for null or a dtype this codec does not know (one added to the schema later)
     */
    public static int width(DType dtype) {
        if (dtype == null) {
            throw new BadTensorException("tensor has no dtype; expected one of " + List.of(KNOWN));
        }
        return switch (dtype) {
            case FP32 -> 4;
            case FP16, BF16 -> 2;
            default -> throw new BadTensorException("dtype " + dtype + " is not supported; expected one of "
                    + List.of(KNOWN));
        };
    }

    /**
     * product(shape).
     *
     * @throws BadTensorException when a dimension is not positive or the product overflows a long
     */
    public static long elements(int... shape) {
        long n = 1;
        for (int d : shape) {
            if (d <= 0) {
                throw new BadTensorException("dimension " + d + " in shape " + List.of(box(shape))
                        + " is not positive");
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new BadTensorException("shape " + List.of(box(shape)) + " has more than 2^63 elements");
            }
        }
        return n;
    }

    /**
     * The tensor's element count, after checking its dtype, that every dimension is positive, that the count fits
     * a Java array, and that its bytes are exactly count x width. Nothing is allocated.
     *
     * @throws BadTensorException when any of these fails
     */
    public static int elements(Tensor t) {
        int width = width(t.getDtype());
        long n = elements(shape(t));
        long bytes = t.getData().remaining();
        if (n > Integer.MAX_VALUE - 8) { // the VM's array limit
            throw new BadTensorException("tensor " + describe(t) + " has " + n + " elements, more than a Java "
                    + "array holds");
        }
        if (n * width != bytes) {
            throw new BadTensorException("tensor " + describe(t) + " needs " + n * width + " bytes (" + n
                    + " elements x " + width + "), has " + bytes);
        }
        return (int) n;
    }

    private static String describe(Tensor t) {
        return t.getDtype() + "" + t.getShape();
    }

    private static Integer[] box(int[] shape) {
        Integer[] out = new Integer[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }
}
