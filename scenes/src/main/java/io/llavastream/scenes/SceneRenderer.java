package io.llavastream.scenes;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;

/** Draws a {@link Scene} with antialiased Java2D, as an RGB image or as PNG bytes. */
public final class SceneRenderer {
    private SceneRenderer() {
    }

    public static BufferedImage render(Scene scene) {
        BufferedImage img = new BufferedImage(scene.size(), scene.size(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(new Color(scene.background()));
            g.fillRect(0, 0, scene.size(), scene.size());
            for (SceneObject o : scene.objects()) {
                g.setColor(new Color(o.rgb()));
                draw(g, o);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    public static byte[] png(Scene scene) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try {
            ImageIO.write(render(scene), "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void draw(Graphics2D g, SceneObject o) {
        int e = o.extent();
        int x = o.centerX() - e / 2;
        int y = o.centerY() - e / 2;
        switch (o.shape()) {
            case CIRCLE -> g.fillOval(x, y, e, e);
            case SQUARE -> g.fillRect(x, y, e, e);
            case TRIANGLE -> g.fillPolygon(new Polygon(new int[] {x, x + e / 2, x + e}, new int[] {y + e, y, y + e}, 3));
            case CROSS -> {
                int bar = Math.max(4, e / 3);
                g.fillRect(x, o.centerY() - bar / 2, e, bar);
                g.fillRect(o.centerX() - bar / 2, y, bar, e);
            }
            default -> throw new IllegalStateException("unknown shape " + o.shape());
        }
    }
}
