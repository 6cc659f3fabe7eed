package io.llavastream.model.image;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferInt;
import java.awt.image.Raster;

/**
 * Converts any decoded {@link BufferedImage} to 8-bit RGB the way Pillow (and so Hugging Face's
 * {@code convert_to_rgb}) would, not the way Java2D colour management would.
 *
 * <ul>
 *   <li>Samples of RGB and grey colour spaces are taken as stored: an embedded ICC profile is
 *       ignored (Pillow ignores it; Java2D would convert to sRGB, moving values by tens of
 *       levels), and grey is replicated (Java2D treats {@code CS_GRAY} as linear and would
 *       brighten it).
 *   <li>16-bit samples keep their high byte (as Pillow's {@code RGB;16B} unpacker does); samples
 *       of fewer than 8 bits are scaled to 0..255.
 *   <li>CMYK uses Pillow's {@code cmyk2rgb}: {@code v = (255-k) - (c*(255-k))/255} in its
 *       fixed-point form.
 *   <li>Alpha is composited onto opaque white with the integer arithmetic of Pillow's
 *       {@code Image.alpha_composite}, which is what {@code transformers} does for RGBA/LA/P images.
 *   <li>Anything else (palettes, packed pixels, float samples) goes through
 *       {@link BufferedImage#getRGB}.
 * </ul>
 */
final class RgbImages {
    private RgbImages() {
    }

    /** Returns {@code image} itself when it is already {@code TYPE_INT_RGB}, else an RGB copy. */
    static BufferedImage toRgb(BufferedImage image) {
        if (image.getType() == BufferedImage.TYPE_INT_RGB) {
            return image;
        }
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        int[] dst = ((DataBufferInt) out.getRaster().getDataBuffer()).getData();
        int[] rowSamples = new int[w * image.getRaster().getNumBands()]; // one row, reused: no garbage per row
        for (int y = 0; y < h; y++) {
            convertRow(image, y, dst, y * w, rowSamples);
        }
        return out;
    }

    /**
     * Packed 0xRRGGBB pixels of {@code image}, row-major, {@code width*height} long. Shares no
     * storage with the image.
     */
    static int[] packedPixels(BufferedImage image) {
        BufferedImage rgb = toRgb(image);
        int w = rgb.getWidth();
        int h = rgb.getHeight();
        // getDataElements copies, and honours sub-image offsets and scanline strides.
        return (int[]) rgb.getRaster().getDataElements(0, 0, w, h, null);
    }

    private static void convertRow(BufferedImage image, int y, int[] dst, int offset, int[] rowSamples) {
        ColorModel cm = image.getColorModel();
        int csType = cm.getColorSpace().getType();
        int transfer = cm.getTransferType();
        boolean rawSamples = cm instanceof ComponentColorModel && !cm.isAlphaPremultiplied()
                && (transfer == DataBuffer.TYPE_BYTE || transfer == DataBuffer.TYPE_USHORT)
                && (csType == ColorSpace.TYPE_RGB || csType == ColorSpace.TYPE_GRAY || csType == ColorSpace.TYPE_CMYK);
        if (rawSamples) {
            convertSamplesRow(image.getRaster(), cm, csType, y, dst, offset, rowSamples);
        } else {
            int w = image.getWidth();
            image.getRGB(0, y, w, 1, dst, offset, w);
            for (int x = 0; x < w; x++) {
                int argb = dst[offset + x];
                dst[offset + x] = compositeOnWhite(argb >>> 24, (argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF);
            }
        }
    }

    private static void convertSamplesRow(Raster raster, ColorModel cm, int csType, int y, int[] dst, int offset,
            int[] rowSamples) {
        int w = raster.getWidth();
        int bands = raster.getNumBands();
        int colours = cm.getNumColorComponents();
        int[] samples = raster.getPixels(0, y, w, 1, rowSamples);
        int[] bits = cm.getComponentSize();
        for (int x = 0; x < w; x++) {
            int base = x * bands;
            int c0 = to8(samples[base], bits[0]);
            int r;
            int g;
            int b;
            if (csType == ColorSpace.TYPE_GRAY) {
                r = c0;
                g = c0;
                b = c0;
            } else if (csType == ColorSpace.TYPE_CMYK) {
                int k = to8(samples[base + 3], bits[3]);
                r = pilCmykToRgb(c0, k);
                g = pilCmykToRgb(to8(samples[base + 1], bits[1]), k);
                b = pilCmykToRgb(to8(samples[base + 2], bits[2]), k);
            } else {
                r = c0;
                g = to8(samples[base + 1], bits[1]);
                b = to8(samples[base + 2], bits[2]);
            }
            int alpha = cm.hasAlpha() ? to8(samples[base + colours], bits[colours]) : 255;
            dst[offset + x] = compositeOnWhite(alpha, r, g, b);
        }
    }

    /** Scales a sample of {@code bits} bits to 8 bits (high byte for 16-bit, as Pillow unpacks). */
    static int to8(int sample, int bits) {
        if (bits == 8) {
            return sample;
        }
        if (bits > 8) {
            return sample >>> (bits - 8);
        }
        int max = (1 << bits) - 1;
        return (sample * 255 + max / 2) / max;
    }

    /** Pillow's {@code cmyk2rgb} for one channel: {@code CLIP8(nk - MULDIV255(c, nk))}, nk = 255 - k. */
    static int pilCmykToRgb(int c, int k) {
        int nk = 255 - k;
        int tmp = c * nk + 128;
        int mulDiv255 = ((tmp >> 8) + tmp) >> 8;
        return Math.max(0, Math.min(255, nk - mulDiv255));
    }

    /**
     * Pillow's {@code ImagingAlphaComposite} of a pixel over opaque white, returned as 0xRRGGBB.
     * Fixed point with 7 fraction bits; {@code SHIFTFORDIV255(a) = ((a >> 8) + a) >> 8}.
     */
    static int compositeOnWhite(int alpha, int r, int g, int b) {
        if (alpha == 255) {
            return (r << 16) | (g << 8) | b;
        }
        if (alpha == 0) {
            return 0xFFFFFF;
        }
        final int precisionBits = 7;
        int blend = 255 * (255 - alpha); // background alpha (255) * (255 - src alpha)
        int outAlpha255 = alpha * 255 + blend;
        int coef1 = alpha * 255 * 255 * (1 << precisionBits) / outAlpha255;
        int coef2 = 255 * (1 << precisionBits) - coef1;
        return (blendChannel(r, coef1, coef2) << 16) | (blendChannel(g, coef1, coef2) << 8) | blendChannel(b, coef1, coef2);
    }

    private static int blendChannel(int src, int coef1, int coef2) {
        int tmp = src * coef1 + 255 * coef2 + (0x80 << 7);
        return ((((tmp >> 8) + tmp) >> 8) >> 7);
    }
}
