package io.llavastream.topology;

import io.llavastream.schemas.ImageAnswer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a post's body for a text-only reader: each image reference is replaced, in place, by its image's caption.
 * A pure function of the body, the images' urls and the answers; reads and writes nothing.
 *
 * <p>References, found in order of appearance:
 * <ul>
 *   <li>Markdown {@code ![alt](src)} (an optional {@code "title"} after src is allowed);</li>
 *   <li>HTML {@code <img ... src="..." ...>}: any attribute order, double, single or no quotes, with or without
 *       {@code />};</li>
 *   <li>an index placeholder {@code {{image:N}}}, N the 0-based image index (spaces allowed inside the braces).</li>
 * </ul>
 * A placeholder names its image. A Markdown or HTML reference is matched to the image whose url equals its src;
 * failing that, to the first image, in image order, no reference has taken yet (so without urls the n-th reference
 * is image n). A reference that matches no image (placeholder out of range, more references than images) is left as
 * it is. Captions of images no reference took are appended after a blank line, one per line, in image order.
 */
final class PostBodyRenderer {
    private static final Pattern REFERENCE = Pattern.compile(
            "!\\[[^\\]]*\\]\\(\\s*<?([^)\\s>]*)>?(?:\\s+(?:\"[^\"]*\"|'[^']*'))?\\s*\\)"   // 1: Markdown src
                    + "|(<img\\b[^>]*>)"                                                    // 2: HTML tag
                    + "|\\{\\{\\s*image\\s*:\\s*(\\d+)\\s*\\}\\}",                          // 3: placeholder index
            Pattern.CASE_INSENSITIVE);
    private static final Pattern SRC = Pattern.compile(
            "\\ssrc\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s>\"']+))", Pattern.CASE_INSENSITIVE);

    private final CaptionFormat format;

    PostBodyRenderer(CaptionFormat format) {
        this.format = format;
    }

    /**
     * {@code body} with its references replaced by captions, unreferenced images' captions appended.
     *
     * @param imageUrls each image's url, in image order (null entries: unknown); its size is the image count
     * @param answers   the images' answers, any order; an image without one renders as failed ("no answer")
     */
    String render(String body, List<String> imageUrls, List<ImageAnswer> answers) {
        Map<Integer, ImageAnswer> byIndex = new HashMap<>();
        answers.forEach(a -> byIndex.put(a.getImageIndex(), a));
        int count = Math.max(imageUrls.size(), answers.stream().mapToInt(a -> a.getImageIndex() + 1).max().orElse(0));
        boolean[] taken = new boolean[count];
        String text = body == null ? "" : body;
        StringBuilder out = new StringBuilder();
        Matcher m = REFERENCE.matcher(text);
        int last = 0;
        while (m.find()) {
            int index = imageOf(m, imageUrls, taken);
            out.append(text, last, m.start());
            if (index < 0) {
                out.append(m.group());
            } else {
                taken[index] = true;
                out.append(caption(index, byIndex.get(index)));
            }
            last = m.end();
        }
        out.append(text, last, text.length());
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (!taken[i]) {
                rest.add(caption(i, byIndex.get(i)));
            }
        }
        if (!rest.isEmpty()) {
            if (out.length() > 0) {
                out.append(out.charAt(out.length() - 1) == '\n' ? "\n" : "\n\n");
            }
            out.append(String.join("\n", rest));
        }
        return out.toString();
    }

    private static int imageOf(Matcher m, List<String> urls, boolean[] taken) {
        if (m.group(3) != null) {
            try {
                int n = Integer.parseInt(m.group(3));
                return n < taken.length ? n : -1;
            } catch (NumberFormatException tooLong) {
                return -1;
            }
        }
        String src = m.group(1) != null ? m.group(1) : srcOf(m.group(2));
        if (src != null && !src.isEmpty()) {
            for (int i = 0; i < urls.size(); i++) {
                if (src.equals(urls.get(i))) {
                    return i;
                }
            }
        }
        for (int i = 0; i < taken.length; i++) {
            if (!taken[i]) {
                return i;
            }
        }
        return -1;
    }

    private static String srcOf(String tag) {
        Matcher s = SRC.matcher(tag);
        if (!s.find()) {
            return null;
        }
        return s.group(1) != null ? s.group(1) : s.group(2) != null ? s.group(2) : s.group(3);
    }

    private String caption(int index, ImageAnswer answer) {
        if (answer == null) {
            return format.failed(index, "no answer");
        }
        return answer.getFailed() ? format.failed(index, answer.getError() == null ? "unknown error" : answer.getError())
                : format.ok(index, answer.getText());
    }
}
