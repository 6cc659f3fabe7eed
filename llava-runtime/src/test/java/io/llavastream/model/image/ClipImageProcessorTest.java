package io.llavastream.model.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Shapes, buffers, exactness of the no-resize path, crop padding and resize-size rules. */
class ClipImageProcessorTest {
    private static final double[] MEAN = PreprocessorConfig.OPENAI_CLIP_MEAN;
    private static final double[] STD = PreprocessorConfig.OPENAI_CLIP_STD;

    private static ClipImageProcessor processor(int shortestEdge, int crop) {
        return new ClipImageProcessor(new PreprocessorConfig(true, shortestEdge, 0, 0, crop, crop, true,
                1.0 / 255, true, MEAN, STD));
    }

    /** transformers' arithmetic for one value, written out independently of the processor. */
    private static float expected(int channel, int v) {
        float rescaled = (float) (v * (1.0 / 255));
        return (rescaled - (float) MEAN[channel]) / (float) STD[channel];
    }

    @Test
    void imageAlreadyAtTargetSizeIsExact() {
        BufferedImage image = TestImages.noise(64, 64, 11);
        float[] out = processor(64, 64).preprocess(image);
        assertThat(out).hasSize(3 * 64 * 64);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                int[] rgb = TestImages.channels(TestImages.rgb(image, x, y));
                for (int c = 0; c < 3; c++) {
                    // CHW: channel plane, then row, then column
                    assertThat(out[c * 64 * 64 + y * 64 + x]).isEqualTo(expected(c, rgb[c]));
                }
            }
        }
    }

    @Test
    void writesIntoACallerArrayAtAnOffsetAndNothingElse() {
        ClipImageProcessor p = processor(32, 32);
        BufferedImage image = TestImages.gradient(50, 40);
        float[] single = p.preprocess(image);
        float[] batch = new float[2 * p.outputSize() + 7];
        Arrays.fill(batch, Float.NaN);
        p.preprocess(image, batch, 5 + p.outputSize());
        assertThat(Arrays.copyOfRange(batch, 5 + p.outputSize(), 5 + 2 * p.outputSize())).containsExactly(single);
        assertThat(Arrays.copyOfRange(batch, 0, 5 + p.outputSize())).containsOnly(Float.NaN);
        assertThat(Arrays.copyOfRange(batch, 5 + 2 * p.outputSize(), batch.length)).containsOnly(Float.NaN);
    }

    @Test
    void writesIntoADirectFloatBufferAtAnIndexWithoutMovingIt() {
        ClipImageProcessor p = processor(32, 32);
        BufferedImage image = TestImages.gradient(50, 40);
        FloatBuffer buffer = ByteBuffer.allocateDirect(2 * p.outputSize() * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        p.preprocess(image, buffer, p.outputSize());
        assertThat(buffer.position()).isZero();
        float[] second = new float[p.outputSize()];
        buffer.get(p.outputSize(), second);
        assertThat(second).containsExactly(p.preprocess(image));
    }

    @Test
    void rejectsADestinationTooSmallForTheImage() {
        ClipImageProcessor p = processor(32, 32);
        assertThatThrownBy(() -> p.preprocess(TestImages.gradient(40, 40), new float[p.outputSize()], 1))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void resizedSizeTruncatesTheLongSideLikeTransformers() {
        ClipImageProcessor p = processor(336, 336);
        assertThat(p.resizedSize(640, 427)).containsExactly(336, 503); // int(336*640/427) = int(503.6)
        assertThat(p.resizedSize(427, 640)).containsExactly(503, 336);
        assertThat(p.resizedSize(451, 300)).containsExactly(336, 505);
        assertThat(p.resizedSize(500, 500)).containsExactly(336, 336);
        assertThat(p.resizedSize(1, 3)).containsExactly(1008, 336);
    }

    @Test
    void centerCropLargerThanTheImagePadsWithZeroPixels() {
        // do_resize false; a 20x10 image cropped to 16x16: top = (10-16)//2 = -3, left = (20-16)//2 = 2.
        ClipImageProcessor p = new ClipImageProcessor(new PreprocessorConfig(false, 16, 0, 0, 16, 16, true,
                1.0 / 255, true, MEAN, STD));
        BufferedImage image = TestImages.noise(20, 10, 12);
        float[] out = p.preprocess(image);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    int srcY = y - 3;
                    int v = srcY < 0 || srcY >= 10 ? 0 : TestImages.channels(TestImages.rgb(image, x + 2, srcY))[c];
                    assertThat(out[c * 256 + y * 16 + x]).as("c=%d y=%d x=%d", c, y, x).isEqualTo(expected(c, v));
                }
            }
        }
    }

    @Test
    void extremelyElongatedImagesOnlyCostTheCropWindow() {
        // 1x20000 -> resized 336x6720000 (2.2 G pixels): only the 336x336 window is computed.
        BufferedImage sliver = TestImages.noise(1, 20000, 13);
        float[] out = processor(336, 336).preprocess(sliver);
        assertThat(out).hasSize(3 * 336 * 336);
    }

    @Test
    void resizeWindowEqualsCroppedFullResize() {
        Random random = new Random(5);
        int[][] shapes = {{37, 23, 80, 50}, {200, 130, 45, 29}, {64, 64, 64, 100}, {90, 60, 30, 60}};
        for (int[] s : shapes) {
            int[] src = new int[s[0] * s[1]];
            for (int i = 0; i < src.length; i++) {
                src[i] = random.nextInt(1 << 24);
            }
            int[] full = PilBicubicResampler.resizeWindow(src, s[0], s[1], s[2], s[3], 0, 0, s[2], s[3]);
            int wx = s[2] / 4;
            int wy = s[3] / 3;
            int ww = s[2] / 2;
            int wh = s[3] / 2;
            int[] window = PilBicubicResampler.resizeWindow(src, s[0], s[1], s[2], s[3], wx, wy, ww, wh);
            for (int y = 0; y < wh; y++) {
                for (int x = 0; x < ww; x++) {
                    assertThat(window[y * ww + x]).isEqualTo(full[(y + wy) * s[2] + x + wx]);
                }
            }
        }
    }

    @Test
    void acceptsImagesThatAreNotIntRgb() {
        BufferedImage gray = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(3, 4, 0, 200);
        float[] out = processor(64, 64).preprocess(gray);
        assertThat(out[4 * 64 + 3]).isEqualTo(expected(0, 200));
        assertThat(out[64 * 64 + 4 * 64 + 3]).isEqualTo(expected(1, 200));
    }
}
