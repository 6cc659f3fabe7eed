package io.llavastream.tensor;

/**
 * IEEE 754 binary16 (FP16) and bfloat16 (BF16) bit patterns to and from float, rounding to nearest even as
 * numpy, PyTorch and {@code Float.floatToFloat16} (Java 20+) do. Java 17 has no such method, hence this class.
 */
final class HalfFloats {
    /** Every FP16 bit pattern's float, by pattern: decoding a tensor is then one load per element (256 KiB). */
    static final float[] FP16_TABLE = fp16Table();

    private HalfFloats() {
    }

    private static float[] fp16Table() {
        float[] t = new float[1 << 16];
        for (int h = 0; h < t.length; h++) {
            t[h] = fromFp16((short) h);
        }
        return t;
    }

    /** The FP16 nearest to {@code f}: overflow gives infinity, underflow a signed zero, NaN a quiet NaN. */
    static short toFp16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7FFFFF;
        if (exp == 0xFF) {
            return (short) (sign | 0x7C00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00);
        }
        if (e <= 0) {
            return (short) (sign | subnormal(mant | 0x800000, 14 - e));
        }
        int h = sign | (e << 10) | (mant >>> 13);
        int rest = mant & 0x1FFF;
        // a carry out of the mantissa correctly bumps the exponent, up to infinity
        return (short) (rest > 0x1000 || (rest == 0x1000 && (h & 1) != 0) ? h + 1 : h);
    }

    /** A 24-bit significand shifted right into FP16's subnormal range (value = result x 2^-24), rounded. */
    private static int subnormal(int significand, int shift) {
        if (shift > 24) {
            return 0;  // below half the smallest subnormal
        }
        int h = significand >>> shift;
        int rest = significand & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        return rest > halfway || (rest == halfway && (h & 1) != 0) ? h + 1 : h;
    }

    static float fromFp16(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f;  // zero or subnormal: exact in float
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** The BF16 nearest to {@code f} (the float's top 16 bits, rounded); NaN stays a quiet NaN. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    static float fromBf16(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }
}
