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

    /** Float bits at and above which the FP16 is infinite or NaN: 65520 (2^16 less half an ulp) rounds up. */
    private static final int FP16_OVERFLOW = (127 + 16) << 23;
    /** Below 2^-14 the FP16 is subnormal or zero. */
    private static final int FP16_MIN_NORMAL = 113 << 23;
    /** 0.5: adding it puts a subnormal FP16's 10 mantissa bits at the bottom of the float, rounded by the FPU. */
    private static final float SUBNORMAL_MAGIC = Float.intBitsToFloat(((127 - 15) + (23 - 10) + 1) << 23);

    /**
     * The FP16 nearest to {@code f}: overflow gives infinity, underflow a signed zero, NaN a quiet NaN. The common
     * cases take no branch on the rounding (F. Giesen's float_to_half_fast3_rtne); infinity and NaN take the exact
     * path below. Equal, bit for bit, to {@link #toFp16Exact} for every float (HalfFloatsTest).
     */
    static short toFp16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFFFFFF;
        if (abs >= FP16_OVERFLOW) {
            return toFp16Exact(f);
        }
        if (abs < FP16_MIN_NORMAL) {  // the FPU rounds to nearest even while it aligns the mantissa
            int aligned = Float.floatToRawIntBits(Float.intBitsToFloat(abs) + SUBNORMAL_MAGIC);
            return (short) (sign | (aligned - Float.floatToRawIntBits(SUBNORMAL_MAGIC)));
        }
        int odd = (abs >>> 13) & 1;
        return (short) (sign | ((abs + ((15 - 127) << 23) + 0xFFF + odd) >>> 13));
    }

    /** The FP16 nearest to {@code f}, by cases: the reference {@link #toFp16} is checked against. */
    static short toFp16Exact(float f) {
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
