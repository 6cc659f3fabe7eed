package io.llavastream.console;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The images the page shows, by SHA-256, bounded by bytes: least recently used first out once the images' bytes
 * (plus a fixed overhead per entry) pass the bound, so reading the posts topic for ever never grows it past
 * {@code maxBytes}. Plain LRU on purpose: the page wants the newest images, and a frequency-based cache (Caffeine's
 * TinyLFU) would turn away a new image seen once in favour of older ones.
 */
final class ImageCache {
    /** Bytes counted per entry beyond the image's own: the key, the record and the map's node. */
    static final int ENTRY_OVERHEAD_BYTES = 256;

    /** One image as it was posted. */
    record Image(String contentType, byte[] data) {
        long weight() {
            return (long) data.length + ENTRY_OVERHEAD_BYTES;
        }
    }

    private final long maxBytes;
    private final LinkedHashMap<String, Image> images = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    ImageCache(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Adds or replaces an image; one larger than the whole bound is not kept. */
    synchronized void put(String sha256, String contentType, byte[] data) {
        Image img = new Image(contentType, data);
        Image old = images.remove(sha256);
        if (old != null) {
            bytes -= old.weight();
        }
        if (img.weight() > maxBytes) {
            return;
        }
        images.put(sha256, img);
        bytes += img.weight();
        Iterator<Map.Entry<String, Image>> eldest = images.entrySet().iterator();
        while (bytes > maxBytes && eldest.hasNext()) {
            bytes -= eldest.next().getValue().weight();
            eldest.remove();
        }
    }

    synchronized Optional<Image> get(String sha256) {
        return Optional.ofNullable(images.get(sha256));
    }

    /** Bytes held now, overhead included. */
    synchronized long weightedBytes() {
        return bytes;
    }

    synchronized long size() {
        return images.size();
    }
}
