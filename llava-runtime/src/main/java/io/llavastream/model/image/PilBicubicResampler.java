package io.llavastream.model.image;

/**
 * Pillow's {@code Image.resize(size, resample=Image.BICUBIC)} for 8-bit RGB, bit for bit
 * (Pillow's {@code libImaging/Resample.c}, {@code ImagingResampleInner} with the 8bpc passes).
 *
 * <p>The algorithm: a separable convolution, horizontal pass first, then vertical. For each output
 * index the filter window is centred on the input coordinate {@code (i + 0.5) * scale}; when
 * downscaling the bicubic kernel ({@code a = -0.5}, support 2) is stretched by the scale factor,
 * which is what antialiases. Weights are normalised to sum 1, then turned into fixed-point
 * integers with {@code PRECISION_BITS = 32 - 8 - 2 = 22} fraction bits; each pass sums
 * {@code pixel * weight} in an int starting from one half, then shifts right and clamps to
 * 0..255. Every pass therefore rounds to uint8, as Pillow's does. A pass whose size does not
 * change is skipped (Pillow's {@code need_horizontal}/{@code need_vertical}).
 *
 * <p>This class computes only a window of the resized image: each output pixel depends only on
 * its own coefficients, so computing just the centre-crop window gives the same values as
 * resizing everything and cropping, at the cost of the crop alone (and no allocation
 * proportional to a very elongated image's resized length).
 *
 * <p>Pixels are packed {@code 0xRRGGBB} ints, row-major.
 */
final class PilBicubicResampler {
    static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double BICUBIC_SUPPORT = 2.0;

    private PilBicubicResampler() {
    }

    /**
     * Resizes {@code src} ({@code srcW x srcH}) to {@code dstW x dstH} and returns the window of
     * the result starting at ({@code winX}, {@code winY}) of size {@code winW x winH}, as a new
     * {@code winW * winH} array. The window must lie inside the resized image.
     */
    static int[] resizeWindow(int[] src, int srcW, int srcH, long dstW, long dstH,
                              int winX, int winY, int winW, int winH) {
        if (winX < 0 || winY < 0 || winX + (long) winW > dstW || winY + (long) winH > dstH || winW <= 0 || winH <= 0) {
            throw new IllegalArgumentException("window " + winW + "x" + winH + "+" + winX + "+" + winY
                    + " is not inside the resized " + dstW + "x" + dstH + " image");
        }
        boolean needHorizontal = dstW != srcW;
        boolean needVertical = dstH != srcH;
        Coefficients vertical = needVertical ? Coefficients.compute(srcH, dstH, winY, winH) : null;

        // Rows of the source the window needs: all of the vertical filter's support, or just the
        // window's own rows when the height does not change.
        int rowFirst = needVertical ? vertical.min[0] : winY;
        int rowEnd = needVertical ? vertical.min[winH - 1] + vertical.count[winH - 1] : winY + winH;

        int[] rows; // (rowEnd - rowFirst) rows of winW pixels
        if (needHorizontal) {
            rows = horizontalPass(src, srcW, rowFirst, rowEnd, Coefficients.compute(srcW, dstW, winX, winW));
        } else {
            rows = new int[winW * (rowEnd - rowFirst)];
            for (int y = rowFirst; y < rowEnd; y++) {
                System.arraycopy(src, y * srcW + winX, rows, (y - rowFirst) * winW, winW);
            }
        }
        return needVertical ? verticalPass(rows, winW, rowFirst, vertical) : rows;
    }

    private static int[] horizontalPass(int[] src, int srcW, int rowFirst, int rowEnd, Coefficients c) {
        int outW = c.min.length;
        int[] out = new int[outW * (rowEnd - rowFirst)];
        for (int y = rowFirst; y < rowEnd; y++) {
            int rowOffset = y * srcW;
            int outOffset = (y - rowFirst) * outW;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = c.min[xx];
                int n = c.count[xx];
                int k = xx * c.ksize;
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int x = 0; x < n; x++) {
                    int p = src[rowOffset + xmin + x];
                    int w = c.weights[k + x];
                    r += ((p >> 16) & 0xFF) * w;
                    g += ((p >> 8) & 0xFF) * w;
                    b += (p & 0xFF) * w;
                }
                out[outOffset + xx] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return out;
    }

    /** {@code rows} holds source rows {@code rowFirst..} already resized horizontally to width w. */
    private static int[] verticalPass(int[] rows, int w, int rowFirst, Coefficients c) {
        int outH = c.min.length;
        int[] out = new int[w * outH];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = c.min[yy] - rowFirst;
            int n = c.count[yy];
            int k = yy * c.ksize;
            for (int xx = 0; xx < w; xx++) {
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int y = 0; y < n; y++) {
                    int p = rows[(ymin + y) * w + xx];
                    int wt = c.weights[k + y];
                    r += ((p >> 16) & 0xFF) * wt;
                    g += ((p >> 8) & 0xFF) * wt;
                    b += (p & 0xFF) * wt;
                }
                out[yy * w + xx] = (clip8(r) << 16) | (clip8(g) << 8) | clip8(b);
            }
        }
        return out;
    }

    /** Pillow's {@code clip8}: drop the fraction bits (arithmetic shift) and clamp to 0..255. */
    static int clip8(int accumulator) {
        int v = accumulator >> PRECISION_BITS;
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /** Pillow's bicubic kernel with {@code a = -0.5} (Keys' cubic convolution). */
    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /**
     * Per-output-index filter windows and fixed-point weights, as Pillow's
     * {@code precompute_coeffs} + {@code normalize_coeffs_8bpc} compute them, for output indices
     * {@code first .. first + n - 1} of an {@code inSize -> outSize} resize.
     */
    static final class Coefficients {
        final int ksize;
        final int[] min;
        final int[] count;
        /** {@code n * ksize} weights with {@link #PRECISION_BITS} fraction bits. */
        final int[] weights;

        private Coefficients(int ksize, int n) {
            this.ksize = ksize;
            this.min = new int[n];
            this.count = new int[n];
            this.weights = new int[n * ksize];
        }

        static Coefficients compute(int inSize, long outSize, int first, int n) {
            // Pillow passes the box (0, 0, w, h) as C floats: in1 - in0 is a float subtraction.
            float in0 = 0f;
            float in1 = (float) inSize;
            double scale = (double) (in1 - in0) / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = BICUBIC_SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Coefficients c = new Coefficients(ksize, n);
            double[] k = new double[ksize];
            double ss = 1.0 / filterScale;
            for (int i = 0; i < n; i++) {
                long xx = first + (long) i;
                double center = in0 + (xx + 0.5) * scale;
                int xmin = (int) (center - support + 0.5); // C cast: truncates toward zero
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = bicubic((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) {
                        k[x] /= ww;
                    }
                    // normalize_coeffs_8bpc: round half away from zero
                    c.weights[i * ksize + x] = k[x] < 0
                            ? (int) (-0.5 + k[x] * (1 << PRECISION_BITS))
                            : (int) (0.5 + k[x] * (1 << PRECISION_BITS));
                }
                c.min[i] = xmin;
                c.count[i] = xmax;
            }
            return c;
        }
    }
}
