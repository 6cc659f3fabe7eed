package io.llavastream.topology;

import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.PostPart;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the metadata {@link PostPart} of a post as it is split: a {@link CaptionedPost} with the post's id, source,
 * title, url, author, created_at, body and image urls (one entry per image), no answers and no image bytes. Its
 * received_at is when the topology read the post (its tasks carry the same time); completed_at is the same
 * placeholder until the first answer sets it.
 */
final class PostParts {
    private PostParts() {
    }

    static PostPart metadata(Post post, long receivedAt) {
        List<String> urls = new ArrayList<>();
        for (PostImage image : post.getImages()) {
            urls.add(image.getUrl());
        }
        CaptionedPost meta = CaptionedPost.newBuilder().setPostId(post.getId()).setSource(post.getSource())
                .setTitle(post.getTitle()).setUrl(post.getUrl()).setAuthor(post.getAuthor())
                .setCreatedAt(post.getCreatedAt()).setBody(post.getBody() == null ? "" : post.getBody())
                .setImageUrls(urls).setAnswers(new ArrayList<>()).setReceivedAt(Instant.ofEpochMilli(receivedAt))
                .setCompletedAt(Instant.ofEpochMilli(receivedAt)).build();
        return PostPart.newBuilder().setPost(meta).build();
    }
}
