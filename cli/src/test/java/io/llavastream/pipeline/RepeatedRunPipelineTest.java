package io.llavastream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.model.ModelDirectory;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.Post;
import io.llavastream.scenes.SceneGenerator;
import io.llavastream.scenes.SceneRenderer;
import io.llavastream.topics.Topics;
import io.llavastream.worker.Workers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README recipe twice on one machine, in this JVM: broker, registry, topology and the three workers, posts with
 * fixed ids (as posts from JSON files have), every process stopped, then all of it again on a fresh broker and
 * registry with the topology's state directory left as the first run left it (the default one under
 * java.io.tmpdir is). The second run captions every post, as the first did.
 */
class RepeatedRunPipelineTest {
    @TempDir
    Path stateDir;

    static List<Post> posts() {
        SceneGenerator scenes = new SceneGenerator(2027);
        List<byte[]> png = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            png.add(SceneRenderer.png(scenes.scene(i)));
        }
        Post markdown = PngPosts.of("md-two-images", "re-forum", List.of(png.get(0), png.get(1)));
        markdown.setBody("first ![a](a.png) then ![b](b.png)");
        return List.of(markdown, PngPosts.of("html-one-image", "blog", png.get(2)),
                PngPosts.of("placeholder-post", "blog", png.get(3)), PngPosts.of("post-g", "blog", png.get(0)));
    }

    /** One run; returns its captioned posts, and whether the topology wiped state from another cluster. */
    List<CaptionedPost> run(boolean expectWipe) throws Exception {
        try (EmbeddedPipeline pipeline = new EmbeddedPipeline(ModelDirectory.bundled(), Workers.STAGES, 8, stateDir,
                System.err::println); PipelineClient client = pipeline.client()) {
            assertThat(pipeline.topology().wipedForeignState()).isEqualTo(expectWipe);
            List<Post> posts = posts();
            posts.forEach(client::send);
            client.flush();
            List<CaptionedPost> out = new ArrayList<>();
            client.read(Topics.CAPTIONED_POSTS, posts.size(), Duration.ofSeconds(240), r -> out.add(r.value()));
            return out;
        }
    }

    static java.util.Map<String, List<String>> texts(List<CaptionedPost> posts) {
        java.util.Map<String, List<String>> out = new java.util.TreeMap<>();
        posts.forEach(c -> out.put(c.getPostId(), c.getAnswers().stream().map(ImageAnswer::getText).toList()));
        return out;
    }

    @Test
    void aSecondRunOnAFreshBrokerWithTheStateDirectoryOfTheFirstCaptionsEveryPost() throws Exception {
        String[] ids = posts().stream().map(Post::getId).toArray(String[]::new);
        List<CaptionedPost> first = run(false);
        assertThat(first).extracting(CaptionedPost::getPostId).containsExactlyInAnyOrder(ids);

        List<CaptionedPost> second = run(true);
        assertThat(second).extracting(CaptionedPost::getPostId).containsExactlyInAnyOrder(ids);
        assertThat(second).flatExtracting(CaptionedPost::getAnswers).extracting(ImageAnswer::getFailed)
                .containsOnly(false);
        assertThat(texts(second)).as("the same captions as the first run").isEqualTo(texts(first));
    }
}
