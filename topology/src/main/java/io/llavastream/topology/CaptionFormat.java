package io.llavastream.topology;

/**
 * How an image's caption is written into a rendered body ({@code caption.format}, {@code caption.failed.format}):
 * {@code {caption}} is replaced by the caption, {@code {error}} by a failed image's error, {@code {index}} by the
 * 0-based image index, in either template.
 */
record CaptionFormat(String template, String failedTemplate) {
    static final String DEFAULT = "[Image: {caption}]";
    static final String DEFAULT_FAILED = "[Image: failed: {error}]";
    private static final java.util.regex.Pattern FIELD = java.util.regex.Pattern.compile("\\{(caption|error|index)}");

    static CaptionFormat defaults() {
        return new CaptionFormat(DEFAULT, DEFAULT_FAILED);
    }

    String ok(int index, String caption) {
        return fill(template, index, caption, "");
    }

    String failed(int index, String error) {
        return fill(failedTemplate, index, "", error);
    }

    private static String fill(String template, int index, String caption, String error) {
        return FIELD.matcher(template).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(switch (m.group(1)) {
            case "caption" -> caption;
            case "error" -> error;
            default -> Integer.toString(index);
        }));
    }
}
