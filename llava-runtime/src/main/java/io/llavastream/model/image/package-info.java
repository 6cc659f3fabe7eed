/**
 * Image input for the vision tower: turning untrusted image bytes into the float tensor the CLIP
 * encoder expects.
 *
 * <ul>
 *   <li>{@link io.llavastream.model.image.ImageDecoder} decodes PNG, JPEG, GIF (first frame), BMP
 *       and WebP bytes into an 8-bit RGB {@link java.awt.image.BufferedImage}
 *       ({@code TYPE_INT_RGB}). Before any ImageIO reader sees the bytes, the container is walked
 *       without inflating anything ({@code PngChunks}, {@code JpegSegments}, {@code GifBlocks},
 *       {@code WebpChunks}, {@code BmpHeader}): every declared size is checked against the pixel
 *       limit, structures that cost far more than their pixels are refused, and metadata is dropped
 *       unread, so that memory stays bounded by the pixel limit. Every failure is an
 *       {@link io.llavastream.model.image.InvalidImageException} with a
 *       {@link io.llavastream.model.image.InvalidImageException.Reason}.
 *   <li>{@link io.llavastream.model.image.ClipImageProcessor} reproduces Hugging Face's
 *       {@code CLIPImageProcessor} (PIL backend): shortest-edge resize with Pillow's bicubic
 *       resampler, center crop, rescale and normalize, writing {@code [3, H, W]} CHW floats into a
 *       caller's buffer. It is configured from a model's {@code preprocessor_config.json}, parsed
 *       into a {@link io.llavastream.model.image.PreprocessorConfig}.
 * </ul>
 *
 * <p>Pixel values follow what Pillow would produce, because that is what the model was trained
 * on: embedded ICC profiles are ignored, grey is replicated, CMYK uses Pillow's conversion, and
 * alpha is composited onto white the way {@code transformers}' {@code convert_to_rgb} does.
 */
package io.llavastream.model.image;
