package io.llavastream.model.image;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Re-writes a PNG with only the chunks that make its pixels: IHDR, PLTE, tRNS, IDAT and IEND, each run of IDAT
 * chunks joined into one.
 *
 * <p>Why: the JDK's PNG reader inflates zTXt and compressed iTXt chunks without a bound when it reads metadata
 * (a 256 KiB zTXt that inflates to 256 MiB made it allocate 800 MB), and for palette images it parses every
 * chunk up to IEND, whatever the ignore-metadata flag says in the JDK at hand. Text, ICC profiles (iCCP), APNG
 * frames (acTL, fcTL, fdAT) and unknown chunks change nothing in the decoded RGB (Pillow ignores them too: it
 * does not colour-manage, and shows an APNG's default image), so they are dropped unread: nothing is inflated but
 * the image data, of which the reader takes only the rows the header declares. The reader also allocates about
 * 6 KB of streams per IDAT chunk (100,000 one-byte IDATs: 600 MB), hence the join.
 *
 * <p>Figures measured once, 2026-12-01 (JDK 17.0.15, TwelveMonkeys 3.12.0), with the reader as it was used before.
 *
 * <p>Expects a structure that {@link TruncationCheck} found complete.
 */
final class PngChunks {
    private static final int IHDR = type("IHDR");
    private static final int PLTE = type("PLTE");
    private static final int TRNS = type("tRNS");
    private static final int IDAT = type("IDAT");
    private static final int IEND = type("IEND");

    private PngChunks() {
    }

    /** The signature and the pixel chunks of {@code png}, in order, up to IEND; CRCs of IDAT runs recomputed. */
    static byte[] pixelChunksOnly(byte[] png) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        out.write(png, 0, 8);
        int pos = 8;
        while (pos + 8 <= png.length) {
            int length = (int) Math.min(Integer.MAX_VALUE, Bytes.u32be(png, pos));
            int type = (int) Bytes.u32be(png, pos + 4);
            long end = pos + 12L + length;
            if (end > png.length) {
                break; // cannot happen after TruncationCheck; the reader reports what is left
            }
            if (type == IDAT) {
                idat.write(png, pos + 8, length);
            } else {
                flushIdat(idat, out);
                if (type == IHDR || type == PLTE || type == TRNS || type == IEND) {
                    out.write(png, pos, (int) (end - pos));
                }
            }
            if (type == IEND) {
                break;
            }
            pos = (int) end;
        }
        flushIdat(idat, out);
        return out.toByteArray();
    }

    private static int type(String name) {
        byte[] b = name.getBytes(StandardCharsets.ISO_8859_1);
        return ByteBuffer.wrap(b).getInt();
    }

    /** Writes the collected image data as one IDAT chunk, if there is any. */
    private static void flushIdat(ByteArrayOutputStream idat, ByteArrayOutputStream out) {
        if (idat.size() == 0) {
            return;
        }
        byte[] data = idat.toByteArray();
        byte[] type = {'I', 'D', 'A', 'T'};
        CRC32 crc = new CRC32();
        crc.update(type);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(type);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        idat.reset();
    }
}
