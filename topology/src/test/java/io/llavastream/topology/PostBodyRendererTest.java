package io.llavastream.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.ImageAnswer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostBodyRendererTest {
    final PostBodyRenderer renderer = new PostBodyRenderer(CaptionFormat.defaults());

    static ImageAnswer ok(int i, String text) {
        return ImageAnswer.newBuilder().setImageIndex(i).setImageSha256("ab".repeat(32)).setText(text)
                .setFailed(false).setModelId("m").build();
    }

    static ImageAnswer failed(int i, String error) {
        return ImageAnswer.newBuilder().setImageIndex(i).setImageSha256("ab".repeat(32)).setText("")
                .setFailed(true).setError(error).setModelId("m").build();
    }

    static List<String> noUrls(int n) {
        return new ArrayList<>(Arrays.asList(new String[n]));
    }

    @Test
    void markdownWithThreeImagesInOrder() {
        String body = "Look:\n![first](a.png)\nthen ![](b.png \"title\") and ![third](<c.png>).";
        assertThat(renderer.render(body, noUrls(3), List.of(ok(0, "a red square"), ok(1, "a blue circle"),
                ok(2, "a green star")))).isEqualTo("Look:\n[Image: a red square]\nthen [Image: a blue circle] and "
                + "[Image: a green star].");
    }

    @Test
    void markdownMatchesByUrlBeforeOrder() {
        String body = "![x](http://h/2.png) ![y](http://h/1.png)";
        assertThat(renderer.render(body, List.of("http://h/1.png", "http://h/2.png"), List.of(ok(0, "one"),
                ok(1, "two")))).isEqualTo("[Image: two] [Image: one]");
    }

    @Test
    void htmlWithMixedAttributeOrdersAndQuotes() {
        String body = "<p>a <img src=\"u0.png\" alt=\"x\"> b <IMG alt='y' SRC='u1.png'/> c "
                + "<img width=3 src=u2.png height=4 /></p>";
        assertThat(renderer.render(body, List.of("u0.png", "u1.png", "u2.png"),
                List.of(ok(0, "zero"), ok(1, "one"), ok(2, "two"))))
                .isEqualTo("<p>a [Image: zero] b [Image: one] c [Image: two]</p>");
    }

    @Test
    void htmlWithUnknownUrlsGoesByOrder() {
        assertThat(renderer.render("<img alt=\"q\" src=\"x\"><img src=\"y\">", noUrls(2),
                List.of(ok(1, "one"), ok(0, "zero")))).isEqualTo("[Image: zero][Image: one]");
    }

    @Test
    void indexPlaceholders() {
        assertThat(renderer.render("second {{image:1}}, first {{ image : 0 }}, none {{image:7}}", noUrls(2),
                List.of(ok(0, "zero"), ok(1, "one"))))
                .isEqualTo("second [Image: one], first [Image: zero], none {{image:7}}");
    }

    @Test
    void failedImageRendersItsError() {
        assertThat(renderer.render("![](a) ![](b)", noUrls(2), List.of(ok(0, "zero"),
                failed(1, "CORRUPT_IMAGE: not an image")))).isEqualTo("[Image: zero] [Image: failed: CORRUPT_IMAGE: "
                + "not an image]");
    }

    @Test
    void unreferencedImagesAreAppendedInOrder() {
        assertThat(renderer.render("only ![](a) here", noUrls(3), List.of(ok(0, "zero"), ok(1, "one"), ok(2, "two"))))
                .isEqualTo("only [Image: zero] here\n\n[Image: one]\n[Image: two]");
    }

    @Test
    void bodyWithoutReferencesGetsAllCaptionsAppended() {
        assertThat(renderer.render("plain text", noUrls(1), List.of(ok(0, "zero"))))
                .isEqualTo("plain text\n\n[Image: zero]");
        assertThat(renderer.render("", noUrls(1), List.of(ok(0, "zero")))).isEqualTo("[Image: zero]");
    }

    @Test
    void configurableFormatWithIndexAndCaptionTextTakenLiterally() {
        PostBodyRenderer r = new PostBodyRenderer(new CaptionFormat("<{index}: {caption}>", "<{index} x {error}>"));
        assertThat(r.render("![](a) ![](b)", noUrls(2), List.of(ok(0, "costs $1 {error}"), failed(1, "bad"))))
                .isEqualTo("<0: costs $1 {error}> <1 x bad>");
    }
}
