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
 * title, url, author, created_at, body and image urls, no answers and no image bytes. Its received_at and
 * completed_at are placeholders (the epoch): the first answer sets both.
 */
final class PostParts {
    private PostParts() {
    }

    static PostPart metadata(Post post) {
        List<String> urls = new ArrayList<>();
        for (PostImage image : post.getImages()) {
            urls.add(image.getUrl());
        }
        CaptionedPost meta = CaptionedPost.newBuilder().setPostId(post.getId()).setSource(post.getSource())
                .setTitle(post.getTitle()).setUrl(post.getUrl()).setAuthor(post.getAuthor())
                .setCreatedAt(post.getCreatedAt()).setBody(post.getBody() == null ? "" : post.getBody())
                .setImageUrls(urls).setAnswers(new ArrayList<>()).setReceivedAt(Instant.EPOCH)
                .setCompletedAt(Instant.EPOCH).build();
        return PostPart.newBuilder().setPost(meta).build();
    }
}
