package io.llavastream.rules;

import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import io.llavastream.schemas.TaskRef;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A post becomes one {@link ImageTask} per image, in image order: task id "&lt;post id&gt;/&lt;index&gt;", the
 * image's SHA-256, the prompt of {@link PromptRule}, the source's LoRA adapter ({@link SourceAdapters}), received_at.
 * The image bytes are shared with the post, not
 * copied.
 */
public final class ImageTasks {
    private ImageTasks() {
    }

    /** The tasks of {@code post}; the caller has checked the post (images present, question within its cap). */
    public static List<ImageTask> split(Post post, PromptRule rule, Instant receivedAt) {
        return split(post, rule, Map.of(), receivedAt);
    }

    /**
     * As above, every task's adapter being the post's own (Post.adapter) or else its source's entry in
     * {@code sourceAdapters} ({@link SourceAdapters}; none: the base model).
     */
    public static List<ImageTask> split(Post post, PromptRule rule, Map<String, String> sourceAdapters,
                                        Instant receivedAt) {
        List<PostImage> images = post.getImages();
        String prompt = rule.prompt(post.getQuestion(), post.getSource());
        String adapter = post.getAdapter() != null ? post.getAdapter()
                : sourceAdapters.getOrDefault(post.getSource(), "");
        List<ImageTask> out = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            PostImage image = images.get(i);
            ByteBuffer bytes = image.getData().duplicate();
            TaskRef ref = ref(post, i, sha256Hex(bytes), prompt, receivedAt);
            ref.setAdapter(adapter);
            out.add(ImageTask.newBuilder().setTask(ref)
                    .setContentType(image.getContentType()).setImage(bytes).build());
        }
        return out;
    }

    /** The task reference of image {@code index} of {@code post}. */
    public static TaskRef ref(Post post, int index, String sha256, String prompt, Instant receivedAt) {
        return TaskRef.newBuilder().setTaskId(taskId(post.getId(), index)).setPostId(post.getId())
                .setSource(post.getSource()).setImageIndex(index).setImageCount(post.getImages().size())
                .setImageSha256(sha256).setPrompt(prompt).setReceivedAt(receivedAt).build();
    }

    public static String taskId(String postId, int imageIndex) {
        return postId + "/" + imageIndex;
    }

    /** SHA-256 of the remaining bytes of {@code image} as 64 lowercase hex digits; the position does not move. */
    public static String sha256Hex(ByteBuffer image) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(image.duplicate());
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    public static String sha256Hex(byte[] image) {
        return sha256Hex(ByteBuffer.wrap(image));
    }
}
