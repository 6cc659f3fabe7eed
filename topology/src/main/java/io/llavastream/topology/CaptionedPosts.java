package io.llavastream.topology;

import io.llavastream.schemas.Answer;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.FinishReason;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.TaskRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A post's answers gathered so far, as a partial {@link CaptionedPost}: the post's metadata when it was seen ({@link
 * PostParts}), its answers in image order, at most one per image, received_at when the post was split (the
 * metadata's, else the first answer's task's), completed_at the latest answer's. Without metadata, image_urls holds
 * one null per image (the task's image_count), so that the post's size is known. Complete when it holds the
 * task's image_count answers.
 */
final class CaptionedPosts {
    private CaptionedPosts() {
    }

    /** {@code partial} (null: none yet) with {@code answer} added; empty when that image is already answered. */
    static Optional<CaptionedPost> add(CaptionedPost partial, Answer answer) {
        TaskRef task = answer.getTask();
        List<ImageAnswer> answers = new ArrayList<>(partial == null ? List.of() : partial.getAnswers());
        if (answers.stream().anyMatch(a -> a.getImageIndex() == task.getImageIndex())) {
            return Optional.empty();
        }
        answers.add(imageAnswer(answer));
        answers.sort(Comparator.comparingInt(ImageAnswer::getImageIndex));
        CaptionedPost.Builder b = partial == null
                ? CaptionedPost.newBuilder().setPostId(task.getPostId()).setSource(task.getSource())
                : CaptionedPost.newBuilder(partial);
        if (partial == null) {
            b.setReceivedAt(task.getReceivedAt()).setImageUrls(new ArrayList<>(
                    java.util.Collections.nCopies(task.getImageCount(), (String) null)));
        }
        if (partial == null || partial.getAnswers().isEmpty()) {
            b.setCompletedAt(answer.getCompletedAt());
        }
        if (answer.getCompletedAt().isAfter(b.getCompletedAt())) {
            b.setCompletedAt(answer.getCompletedAt());
        }
        return Optional.of(b.setAnswers(answers).setLabels(postLabels(answers)).build());
    }

    static boolean isComplete(CaptionedPost partial, int imageCount) {
        return partial.getAnswers().size() >= imageCount;
    }

    /** Every label of the post's images, each once, in image order then score order. */
    static List<String> postLabels(List<ImageAnswer> answers) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (ImageAnswer a : answers) {
            a.getLabels().forEach(l -> out.add(l.getLabel()));
        }
        return new ArrayList<>(out);
    }

    private static ImageAnswer imageAnswer(Answer a) {
        boolean failed = a.getFinishReason() == FinishReason.ERROR;
        return ImageAnswer.newBuilder().setImageIndex(a.getTask().getImageIndex())
                .setImageSha256(a.getTask().getImageSha256()).setText(failed ? "" : a.getText()).setFailed(failed)
                .setError(failed && a.getError() == null ? "finish_reason ERROR" : a.getError())
                .setModelId(a.getModelId()).setLabels(a.getLabels()).build();
    }
}
