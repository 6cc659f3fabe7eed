package io.llavastream.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.DType;
import io.llavastream.schemas.Tensor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TensorCodecTest {

    @Test
    void fp32IsLittleEndianRowMajorAndLossless() {
        float[] v = {1f, -2.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, -0f};
        Tensor t = TensorCodec.fp32(v, 2, 3);
        assertThat(t.getDtype()).isEqualTo(DType.FP32);
        assertThat(t.getShape()).containsExactly(2, 3);
        assertThat(t.getData().remaining()).isEqualTo(24);
        byte[] first = new byte[4];
        t.getData().duplicate().get(first);
        assertThat(first).containsExactly(0x00, 0x00, 0x80, 0x3F);  // 1.0f = 0x3F800000, low byte first
        float[] back = TensorCodec.floats(t);
        for (int i = 0; i < v.length; i++) {
            assertThat(Float.floatToRawIntBits(back[i])).isEqualTo(Float.floatToRawIntBits(v[i]));
        }
        assertThat(TensorCodec.shape(t)).containsExactly(2, 3);
    }

    @Test
    void refusesValuesThatDoNotFillTheShape() {
        assertThatThrownBy(() -> TensorCodec.fp32(new float[5], 2, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]");
    }

    @Test
    void aTensorWhoseBytesDisagreeWithItsShapeIsABadTensor() {
        Tensor t = new Tensor(DType.FP32, List.of(2, 2), ByteBuffer.allocate(12));
        assertThatThrownBy(() -> TensorCodec.floats(t)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("FP32[2, 2] needs 16 bytes (4 elements x 4), has 12")
                .extracting(e -> ((BadTensorException) e).reason()).isEqualTo(DeadLetterReason.BAD_TENSOR);
        Tensor half = new Tensor(DType.FP16, List.of(3), ByteBuffer.allocate(12));
        assertThatThrownBy(() -> TensorCodec.floats(half)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("needs 6 bytes (3 elements x 2), has 12");
    }

    @Test
    void negativeAndZeroDimensionsAreBadTensors() {
        Tensor negative = new Tensor(DType.FP32, List.of(-2, -2), ByteBuffer.allocate(16));
        assertThatThrownBy(() -> TensorCodec.floats(negative)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("dimension -2 in shape [-2, -2] is not positive");
        Tensor zero = new Tensor(DType.FP32, List.of(4, 0), ByteBuffer.allocate(0));
        assertThatThrownBy(() -> TensorCodec.floats(zero)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("dimension 0 in shape [4, 0] is not positive");
    }

    @Test
    void aShapeWhoseProductOverflowsIsABadTensorBeforeAnythingIsAllocated() {
        // 2^16 x 2^16 = 2^32 elements: wraps to 0 in int arithmetic, and matches 0 bytes if computed that way
        Tensor wraps = new Tensor(DType.FP32, List.of(1 << 16, 1 << 16), ByteBuffer.allocate(0));
        assertThatThrownBy(() -> TensorCodec.floats(wraps)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("4294967296 elements, more than a Java array holds");
        // (2^31-1)^3 overflows a long
        int max = Integer.MAX_VALUE;
        Tensor huge = new Tensor(DType.FP16, List.of(max, max, max), ByteBuffer.allocate(0));
        assertThatThrownBy(() -> TensorCodec.floats(huge)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("more than 2^63 elements");
    }

    @Test
    void aMissingDtypeIsABadTensor() {
        Tensor none = new Tensor(null, List.of(1), ByteBuffer.allocate(4));
        assertThatThrownBy(() -> TensorCodec.floats(none)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("no dtype; expected one of [FP32, FP16, BF16]");
    }

    @Test
    void everyDtypeOfTheSchemaHasAWidth() {
        for (DType d : DType.values()) {
            assertThat(TensorCodec.width(d)).isIn(2, 4);
        }
    }

    @Test
    void aCallerCapRefusesAValidButLargerTensor() {
        Tensor t = TensorCodec.fp32(new float[12], 3, 4);
        assertThat(TensorCodec.floats(t, 12)).hasSize(12);
        assertThatThrownBy(() -> TensorCodec.floats(t, 11)).isInstanceOf(BadTensorException.class)
                .hasMessageContaining("FP32[3, 4] has 12 elements, more than the 11 expected");
    }

    @Test
    void readsFromTheBufferPositionWithoutMovingIt() {
        ByteBuffer b = TensorCodec.fp32(new float[] {7f, 8f}, 2).getData();
        ByteBuffer offset = ByteBuffer.allocate(b.remaining() + 3);
        offset.position(3);
        offset.put(b.duplicate());
        offset.position(3);
        Tensor t = new Tensor(DType.FP32, List.of(2), offset);
        assertThat(TensorCodec.floats(t)).containsExactly(7f, 8f);
        assertThat(offset.position()).isEqualTo(3);
    }

    @Test
    void fp16KnownValues() {
        assertThat(fp16Bits(1f)).isEqualTo(0x3C00);
        assertThat(fp16Bits(-2f)).isEqualTo(0xC000);
        assertThat(fp16Bits(65504f)).isEqualTo(0x7BFF);               // largest finite
        assertThat(fp16Bits(65520f)).isEqualTo(0x7C00);               // halfway to 65536 rounds to infinity
        assertThat(fp16Bits(1e6f)).isEqualTo(0x7C00);
        assertThat(fp16Bits(0x1p-24f)).isEqualTo(0x0001);             // smallest subnormal
        assertThat(fp16Bits(0x1p-25f)).isEqualTo(0x0000);             // exactly half of it: ties to even, zero
        assertThat(fp16Bits(0x1.8p-25f)).isEqualTo(0x0001);
        assertThat(fp16Bits(0x1p-14f)).isEqualTo(0x0400);             // smallest normal
        assertThat(fp16Bits(1f + 0x1p-11f)).isEqualTo(0x3C00);        // tie, even mantissa stays
        assertThat(fp16Bits(1f + 3 * 0x1p-11f)).isEqualTo(0x3C02);    // tie, odd mantissa rounds up
        assertThat(fp16Bits(-0f)).isEqualTo(0x8000);
        assertThat(Float.isNaN(HalfFloats.fromFp16(HalfFloats.toFp16(Float.NaN)))).isTrue();
        assertThat(HalfFloats.fromFp16((short) 0xFC00)).isEqualTo(Float.NEGATIVE_INFINITY);
    }

    @Test
    void everyFp16ValueSurvivesARoundTripThroughFloat() {
        for (int h = 0; h < 0x10000; h++) {
            float f = HalfFloats.fromFp16((short) h);
            if (Float.isNaN(f)) {
                assertThat(Float.isNaN(HalfFloats.fromFp16(HalfFloats.toFp16(f)))).isTrue();
            } else {
                assertThat(fp16Bits(f)).as("half 0x%04x", h).isEqualTo(h);
            }
        }
    }

    @Test
    void fp16RoundsToTheNearestHalf() {
        Random rnd = new Random(1);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) Math.abs(rnd.nextGaussian() * Math.pow(2, rnd.nextInt(40) - 26));
            short h = HalfFloats.toFp16(f);
            double err = Math.abs(HalfFloats.fromFp16(h) - (double) f);
            // positive halves are ordered like their bits: h - 1 and h + 1 are the neighbours
            double below = h == 0 ? Double.MAX_VALUE : Math.abs(HalfFloats.fromFp16((short) (h - 1)) - (double) f);
            double above = Math.abs(HalfFloats.fromFp16((short) (h + 1)) - (double) f);
            assertThat(err).as("%s -> 0x%04x", f, h & 0xFFFF).isLessThanOrEqualTo(below).isLessThanOrEqualTo(above);
        }
    }

    @Test
    void fp16TensorHalvesTheBytesAndDecodesWithinHalfPrecision() {
        float[] v = {0.1f, -3.14159f, 1000.5f, 0f};
        Tensor t = TensorCodec.fp16(v, 4);
        assertThat(t.getDtype()).isEqualTo(DType.FP16);
        assertThat(t.getData().remaining()).isEqualTo(8);
        byte[] first = new byte[2];
        t.getData().duplicate().get(first);
        assertThat(first).containsExactly(0x66, 0x2E);  // 0.1 -> 0x2E66, low byte first
        float[] back = TensorCodec.floats(t);
        for (int i = 0; i < v.length; i++) {
            assertThat(back[i]).isCloseTo(v[i], org.assertj.core.data.Offset.offset(Math.abs(v[i]) * 0x1p-11f));
        }
    }

    @Test
    void bf16KeepsTheTopSixteenBitsRounded() {
        assertThat(HalfFloats.toBf16(1f) & 0xFFFF).isEqualTo(0x3F80);
        assertThat(HalfFloats.toBf16(Float.intBitsToFloat(0x3F808000)) & 0xFFFF).isEqualTo(0x3F80);  // tie, even
        assertThat(HalfFloats.toBf16(Float.intBitsToFloat(0x3F818000)) & 0xFFFF).isEqualTo(0x3F82);  // tie, odd
        assertThat(HalfFloats.toBf16(Float.intBitsToFloat(0x3F808001)) & 0xFFFF).isEqualTo(0x3F81);
        assertThat(Float.isNaN(HalfFloats.fromBf16(HalfFloats.toBf16(Float.NaN)))).isTrue();
        float[] v = {1.5f, -256f, 0.75f};
        assertThat(TensorCodec.floats(TensorCodec.encode(DType.BF16, v, 3))).containsExactly(v);
    }

    private static int fp16Bits(float f) {
        return HalfFloats.toFp16(f) & 0xFFFF;
    }

    @Test
    void readDecodesARangeStraightIntoTheDestinationAsFloatsDoes() {
        float[] v = new float[24];
        for (int i = 0; i < v.length; i++) {
            v[i] = (i - 7) * 0.37f;
        }
        for (DType dtype : List.of(DType.FP32, DType.FP16, DType.BF16)) {
            Tensor t = TensorCodec.encode(dtype, v, 4, 6);
            float[] all = TensorCodec.floats(t);
            float[] dst = new float[10];
            TensorCodec.read(t, 6, 6, dst, 3);  // row 1 into dst[3..9)
            for (int i = 0; i < 6; i++) {
                assertThat(dst[3 + i]).as("%s element %d", dtype, 6 + i).isEqualTo(all[6 + i]);
            }
            assertThat(dst[0]).isZero();
            assertThat(dst[9]).isZero();
            assertThatThrownBy(() -> TensorCodec.read(t, 20, 6, new float[6], 0))
                    .isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void everyFp16BitPatternDecodesThroughTheTableAsTheArithmeticDoes() {
        ByteBuffer all = ByteBuffer.allocate(1 << 17).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int h = 0; h < 1 << 16; h++) {
            all.putShort((short) h);
        }
        all.flip();
        float[] decoded = TensorCodec.floats(new Tensor(DType.FP16, List.of(1 << 16), all));
        for (int h = 0; h < 1 << 16; h++) {
            assertThat(Float.floatToRawIntBits(decoded[h])).as("pattern %04x", h)
                    .isEqualTo(Float.floatToRawIntBits(HalfFloats.fromFp16((short) h)));
        }
    }

    @Test
    void encodeRangeEncodesOneItemOfABatchAsEncodingItsSliceWould() {
        float[] batch = new float[3 * 8];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = i * 1.001f;
        }
        Tensor item = TensorCodec.encodeRange(DType.FP16, batch, 8, 2, 4);
        assertThat(item.getShape()).containsExactly(2, 4);
        assertThat(item).isEqualTo(TensorCodec.fp16(java.util.Arrays.copyOfRange(batch, 8, 16), 2, 4));
        assertThatThrownBy(() -> TensorCodec.encodeRange(DType.FP16, batch, 20, 2, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("runs past the 24 values");
    }
}
