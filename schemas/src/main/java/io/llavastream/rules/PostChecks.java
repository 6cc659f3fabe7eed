package io.llavastream.rules;

import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;

/**
 * The checks a post passes before its images go to the stages, shared by the topology and every in-process run
 * (replay, caption, eval), so that both refuse the same posts for the same reasons. A refused post is dead-lettered
 * whole; a refused image fails alone (its post completes with that image marked failed).
 *
 * @param maxImagesPerPost the most images a post may carry
 * @param maxImageBytes    the largest encoded image, in bytes, that goes to the vision stage
 * @param prompts          the prompt rule, whose question cap applies here
 */
public record PostChecks(int maxImagesPerPost, int maxImageBytes, PromptRule prompts) {
    /** The topology's defaults: {@code max.images.per.post} and {@code max.image.bytes}. */
    public static final int DEFAULT_MAX_IMAGES_PER_POST = 16;
    public static final int DEFAULT_MAX_IMAGE_BYTES = 8 * 1024 * 1024;

    /** Why a post or an image is refused. */
    public record Refusal(DeadLetterReason reason, String message) {
    }

    public PostChecks {
        if (maxImagesPerPost < 1 || maxImageBytes < 1) {
            throw new IllegalArgumentException("maxImagesPerPost " + maxImagesPerPost + " and maxImageBytes "
                    + maxImageBytes + " must both be at least 1");
        }
    }

    public static PostChecks defaults() {
        return new PostChecks(DEFAULT_MAX_IMAGES_PER_POST, DEFAULT_MAX_IMAGE_BYTES, PromptRule.defaults());
    }

    public PostChecks withPrompts(PromptRule rule) {
        return new PostChecks(maxImagesPerPost, maxImageBytes, rule);
    }

    /** Why the whole post is refused (no images, too many, question too long), or null when it is accepted. */
    public Refusal refusal(Post post) {
        int images = post.getImages().size();
        if (images == 0) {
            return new Refusal(DeadLetterReason.NO_IMAGES, "post " + post.getId() + " has no images");
        }
        if (images > maxImagesPerPost) {
            return new Refusal(DeadLetterReason.TOO_MANY_IMAGES, "post " + post.getId() + " has " + images
                    + " images, more than max.images.per.post = " + maxImagesPerPost);
        }
        String question = prompts.refusal(post.getQuestion());
        return question == null ? null
                : new Refusal(DeadLetterReason.QUESTION_TOO_LONG, "post " + post.getId() + ": " + question);
    }

    /** Why one image of an accepted post is refused (over {@code max.image.bytes}), or null. */
    public Refusal refusal(ImageTask task) {
        int bytes = task.getImage().remaining();
        if (bytes <= maxImageBytes) {
            return null;
        }
        return new Refusal(DeadLetterReason.IMAGE_TOO_LARGE, "image " + task.getTask().getImageIndex() + " of post "
                + task.getTask().getPostId() + " is " + bytes + " bytes, more than max.image.bytes = "
                + maxImageBytes);
    }
}
