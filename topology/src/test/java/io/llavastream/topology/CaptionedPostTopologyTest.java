package io.llavastream.topology;

import static io.llavastream.topology.PipelineDriver.START;
import static io.llavastream.topology.PipelineDriver.answer;
import static io.llavastream.topology.PipelineDriver.values;
import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.TaskRef;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Post metadata through the assembly (rendered body), and per-source prompts, on a {@link PipelineDriver}. */
class CaptionedPostTopologyTest {
    static final String RE_PROMPT = "USER: <image>\nDescribe the code or tool shown in this screenshot. ASSISTANT:";
    static final Instant CREATED = Instant.parse("2026-11-02T10:15:30Z");

    @TempDir
    Path stateDir;
    PipelineDriver p;

    @AfterEach
    void close() {
        if (p != null) {
            p.close();
        }
    }

    static Post post(String id, String source, String question, String body, String... urls) {
        List<PostImage> images = java.util.Arrays.stream(urls).map(u -> PostImage.newBuilder()
                .setContentType("image/png").setData(ByteBuffer.wrap((id + u).getBytes())).setUrl(u).build()).toList();
        return Post.newBuilder().setId(id).setSource(source).setCreatedAt(CREATED).setQuestion(question)
                .setTitle("T " + id).setUrl("https://forum/" + id).setAuthor("alice").setBody(body)
                .setImages(images).build();
    }

    List<TaskRef> tasks() {
        return values(p.visionRequests).stream().map(ImageTask::getTask).toList();
    }

    @Test
    void captionedPostCarriesTheMetadataAndTheRenderedBody() {
        p = new PipelineDriver(stateDir, Map.of());
        p.posts.pipeInput("k", post("md", "forum", null, "see ![a](u/b.png) and <img src='u/a.png'>, end",
                "u/a.png", "u/b.png"));
        List<TaskRef> tasks = tasks();
        p.answers.pipeInput("md/0", answer(tasks.get(0), "a red square", FinishReason.EOS, START));
        assertThat(p.captioned.isEmpty()).isTrue();
        p.answers.pipeInput("md/1", answer(tasks.get(1), "ignored", FinishReason.ERROR, START));

        CaptionedPost c = values(p.captioned).get(0);
        assertThat(c.getTitle()).isEqualTo("T md");
        assertThat(c.getUrl()).isEqualTo("https://forum/md");
        assertThat(c.getAuthor()).isEqualTo("alice");
        assertThat(c.getCreatedAt()).isEqualTo(CREATED);
        assertThat(c.getReceivedAt()).isEqualTo(START);
        assertThat(c.getBody()).isEqualTo("see ![a](u/b.png) and <img src='u/a.png'>, end");
        assertThat(c.getImageUrls()).containsExactly("u/a.png", "u/b.png");
        assertThat(c.getRenderedBody()).isEqualTo("see [Image: failed: CORRUPT_IMAGE: not an image] and "
                + "[Image: a red square], end");
    }

    @Test
    void captionFormatIsConfigurable() {
        p = new PipelineDriver(stateDir, Map.of(PipelineConfig.CAPTION_FORMAT_CONFIG, "(img {index}: {caption})"));
        p.posts.pipeInput("k", post("f", "forum", null, "x {{image:0}} y", "u0"));
        p.answers.pipeInput("f/0", answer(tasks().get(0), "a cat", FinishReason.EOS, START));
        assertThat(values(p.captioned).get(0).getRenderedBody()).isEqualTo("x (img 0: a cat) y");
    }

    @Test
    void postsSplitBeforeTheirMetadataExistedStillComplete() {
        p = new PipelineDriver(stateDir, Map.of());
        TaskRef t = TaskRef.newBuilder().setTaskId("old/0").setPostId("old").setSource("forum").setImageIndex(0)
                .setImageCount(1).setImageSha256("ab".repeat(32)).setPrompt("p <image>").setReceivedAt(START).build();
        p.answers.pipeInput("old/0", answer(t, "a dog", FinishReason.EOS, START));
        CaptionedPost c = values(p.captioned).get(0);
        assertThat(c.getBody()).isEmpty();
        assertThat(c.getRenderedBody()).isEqualTo("[Image: a dog]");
        assertThat(c.getCreatedAt()).isEqualTo(Instant.EPOCH);
    }

    @Test
    void sourcePromptAppliesToItsSourceAndTheQuestionStillWins() {
        p = new PipelineDriver(stateDir, Map.of(PipelineConfig.SOURCE_PROMPTS_CONFIG,
                "re-forum=USER: <image>\\nDescribe the code or tool shown in this screenshot. ASSISTANT:;"
                        + "photos=USER: <image>\\nWhere was this taken? ASSISTANT:"));
        p.posts.pipeInput("a", post("a", "re-forum", null, "", "u"));
        p.posts.pipeInput("b", post("b", "re-forum", "what tool is this?", "", "u"));
        p.posts.pipeInput("c", post("c", "elsewhere", null, "", "u"));
        p.posts.pipeInput("d", post("d", "photos", null, "", "u"));
        assertThat(tasks()).extracting(TaskRef::getPrompt).containsExactly(RE_PROMPT,
                "USER: <image>\nwhat tool is this? ASSISTANT:", PipelineTopologyTest.DEFAULT_PROMPT,
                "USER: <image>\nWhere was this taken? ASSISTANT:");
    }
}
