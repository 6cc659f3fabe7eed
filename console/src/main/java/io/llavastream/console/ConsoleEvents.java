package io.llavastream.console;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.llavastream.rules.ImageTasks;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import java.util.List;

/**
 * The JSON of the console's server-sent events: {@code post} (a post arrived: its images' sha256 and text),
 * {@code token} (a task's text so far), {@code captioned} (a post with every image answered) and {@code stats}.
 */
final class ConsoleEvents {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private ConsoleEvents() {
    }

    /** The sha256 of each of {@code post}'s images, in order. */
    static List<String> shas(Post post) {
        return post.getImages().stream().map(i -> ImageTasks.sha256Hex(i.getData())).toList();
    }

    static ObjectNode post(Post p, List<String> shas) {
        ObjectNode n = F.objectNode().put("post_id", p.getId()).put("source", p.getSource())
                .put("title", p.getTitle()).put("body", p.getBody()).put("question", p.getQuestion())
                .put("created_at", p.getCreatedAt().toEpochMilli());
        ArrayNode images = n.putArray("images");
        for (int i = 0; i < shas.size(); i++) {
            PostImage img = p.getImages().get(i);
            images.addObject().put("sha256", shas.get(i)).put("content_type", img.getContentType());
        }
        return n;
    }

    static ObjectNode token(TokenPreviews.Preview p) {
        return F.objectNode().put("task_id", p.taskId()).put("post_id", p.postId()).put("image_index", p.imageIndex())
                .put("stream_id", p.streamId()).put("seq", p.seq()).put("text", p.text()).put("final", p.complete())
                .put("gap", p.gap());
    }

    static ObjectNode captioned(CaptionedPost p) {
        ObjectNode n = F.objectNode().put("post_id", p.getPostId()).put("source", p.getSource())
                .put("title", p.getTitle()).put("rendered_body", p.getRenderedBody())
                .put("received_at", p.getReceivedAt().toEpochMilli())
                .put("completed_at", p.getCompletedAt().toEpochMilli())
                .put("latency_ms", p.getCompletedAt().toEpochMilli() - p.getReceivedAt().toEpochMilli());
        ArrayNode answers = n.putArray("answers");
        for (ImageAnswer a : p.getAnswers()) {
            answers.addObject().put("image_index", a.getImageIndex()).put("sha256", a.getImageSha256())
                    .put("text", a.getText()).put("failed", a.getFailed()).put("error", a.getError())
                    .put("model_id", a.getModelId());
        }
        return n;
    }
}
