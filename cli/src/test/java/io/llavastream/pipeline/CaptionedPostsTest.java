package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.llavastream.model.ModelDirectory;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Workers;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Posts whose bodies reference their images (Markdown, HTML, with one corrupt image) through the whole pipeline on
 * the embedded broker, then {@link PostExport} of the captioned-posts topic.
 */
class CaptionedPostsTest {
    static final Instant CREATED = Instant.parse("2026-11-02T10:15:30Z");
    static EmbeddedPipeline pipeline;
    static PipelineClient client;

    @BeforeAll
    static void start() throws Exception {
        pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8, System.err::println);
        client = pipeline.client();
    }

    @AfterAll
    static void stop() {
        client.close();
        pipeline.close();
    }

    static Post post(String id, String body, List<byte[]> images, List<String> urls) {
        List<PostImage> list = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            list.add(PostImage.newBuilder().setContentType("image/png").setData(ByteBuffer.wrap(images.get(i)))
                    .setUrl(urls.get(i)).build());
        }
        return Post.newBuilder().setId(id).setSource("re-forum").setTitle("title " + id).setAuthor("alice")
                .setUrl("https://forum.example/" + id).setBody(body).setCreatedAt(CREATED).setImages(list)
                .setAttributes(Map.of()).build();
    }

    static String caption(ImageAnswer a) {
        return a.getFailed() ? "[Image: failed: " + a.getError() + "]" : "[Image: " + a.getText() + "]";
    }

    @Test
    void postsComeOutWithEveryImageReplacedInPlaceAndExportAsJsonl() throws Exception {
        SceneGenerator scenes = new SceneGenerator(4242);
        List<byte[]> png = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            png.add(SceneRenderer.png(scenes.scene(i)));
        }
        byte[] corrupt = Arrays.copyOf(png.get(4), png.get(4).length / 2);
        client.send(post("md-post", "Three shots:\n![first](a.png)\ntext ![second](b.png) more\n![third](c.png)\nbye",
                List.of(png.get(0), png.get(1), png.get(2)), Arrays.asList(null, null, null)));
        client.send(post("html-post", "<p>B first <img alt=\"b\" src=\"https://img/b.png\"/> then "
                        + "<IMG SRC='https://img/a.png' width=3> end</p>",
                List.of(png.get(3), png.get(0)), List.of("https://img/a.png", "https://img/b.png")));
        client.send(post("bad-image-post", "ok ![](x) broken ![](y) done",
                List.of(png.get(1), corrupt), Arrays.asList(null, null)));
        client.flush();

        Map<String, CaptionedPost> out = new HashMap<>();
        client.read(Topics.CAPTIONED_POSTS, Duration.ofSeconds(180), r -> out.put(r.key(), r.value()),
                () -> out.keySet().containsAll(List.of("md-post", "html-post", "bad-image-post")));
        assertThat(out).containsKeys("md-post", "html-post", "bad-image-post");

        List<ImageAnswer> md = out.get("md-post").getAnswers();
        assertThat(md).extracting(ImageAnswer::getFailed).containsExactly(false, false, false);
        assertThat(md).allSatisfy(a -> assertThat(a.getText()).isNotBlank());
        assertThat(out.get("md-post").getRenderedBody()).isEqualTo("Three shots:\n" + caption(md.get(0)) + "\ntext "
                + caption(md.get(1)) + " more\n" + caption(md.get(2)) + "\nbye");
        assertThat(out.get("md-post").getTitle()).isEqualTo("title md-post");
        assertThat(out.get("md-post").getCreatedAt()).isEqualTo(CREATED);

        List<ImageAnswer> html = out.get("html-post").getAnswers();
        assertThat(html).extracting(ImageAnswer::getFailed).containsExactly(false, false);
        assertThat(out.get("html-post").getRenderedBody()).as("matched by url: b is image 1")
                .isEqualTo("<p>B first " + caption(html.get(1)) + " then " + caption(html.get(0)) + " end</p>");

        CaptionedPost bad = out.get("bad-image-post");
        assertThat(bad.getAnswers()).extracting(ImageAnswer::getFailed).containsExactly(false, true);
        assertThat(bad.getAnswers().get(1).getError()).isNotBlank();
        assertThat(bad.getRenderedBody()).isEqualTo("ok " + caption(bad.getAnswers().get(0)) + " broken [Image: "
                + "failed: " + bad.getAnswers().get(1).getError() + "] done");
        Map<String, DeadLetter> dead = new HashMap<>();
        client.read(Topics.DEAD_LETTERS, Duration.ofSeconds(60), r -> dead.put(r.key(), r.value()),
                () -> dead.keySet().stream().anyMatch(k -> k.startsWith("bad-image-post")));
        assertThat(dead).hasEntrySatisfying("bad-image-post/1",
                d -> assertThat(d.getErrorType()).isEqualTo("CORRUPT_IMAGE"));

        StringWriter jsonl = new StringWriter();
        AtomicLong total = new AtomicLong();
        AtomicLong steps = new AtomicLong();
        PostExport.Summary s = new PostExport(Map.of("bootstrap.servers", pipeline.bootstrapServers()),
                pipeline.registry()).export(Topics.CAPTIONED_POSTS.name(), PostExport.Range.all(), jsonl,
                total::set, steps::incrementAndGet);
        String[] lines = jsonl.toString().split("\n");
        assertThat(s.posts()).isEqualTo(lines.length).isEqualTo(steps.get()).isGreaterThanOrEqualTo(3);
        assertThat(s.skipped()).isZero();
        assertThat(total.get()).isGreaterThanOrEqualTo(s.posts());
        ObjectMapper json = new ObjectMapper();
        Map<String, JsonNode> byId = new HashMap<>();
        for (String line : lines) {
            JsonNode n = json.readTree(line);
            assertThat(n.isObject()).isTrue();
            assertThat(byId.put(n.get("post_id").asText(), n)).as("one line per post").isNull();
        }
        JsonNode mdLine = byId.get("md-post");
        assertThat(mdLine.get("body").asText()).isEqualTo(out.get("md-post").getRenderedBody());
        assertThat(mdLine.get("created_at").asText()).isEqualTo("2026-11-02T10:15:30Z");
        assertThat(mdLine.get("url").asText()).isEqualTo("https://forum.example/md-post");
        assertThat(mdLine.get("captions")).hasSize(3);
        assertThat(mdLine.get("captions").get(1).get("text").asText()).isEqualTo(md.get(1).getText());
        assertThat(byId.get("bad-image-post").get("captions").get(1).get("failed").asBoolean()).isTrue();
        assertThat(jsonl.toString()).doesNotContain("\"data\"").doesNotContain("iVBORw0KGgo");
        for (JsonNode n : byId.values()) {
            assertThat(n.toString().length()).as("no image bytes in %s", n.get("post_id")).isLessThan(4000);
        }
    }
}
