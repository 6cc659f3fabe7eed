package io.llavastream.topology;

import io.llavastream.rules.DeadLetterReason;
import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.DeadLetter;
import io.llavastream.schemas.ImageAnswer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A pending post completed without the answers it is still missing: each missing image becomes a failed
 * {@link ImageAnswer} (error "TIMEOUT: ...", empty text and image_sha256: the assembly keeps no image bytes or
 * hashes while it waits) and one {@link DeadLetter} (error_type TIMEOUT, key the task id
 * {@code <post_id>/<image_index>}, no value, topic "" and offset -1: no input record is at fault). Touches no topic
 * itself; {@link PostAssembler} forwards both.
 */
record TimedOutImages(CaptionedPost post, List<DeadLetter> deadLetters) {
    /**
     * @param pending   the post as gathered so far; its image_urls hold one entry per image
     * @param why       what ran out, e.g. "no answer within post.timeout.ms = 900000 ms"
     */
    static TimedOutImages complete(CaptionedPost pending, String why, long now) {
        Set<Integer> answered = new HashSet<>();
        pending.getAnswers().forEach(a -> answered.add(a.getImageIndex()));
        List<ImageAnswer> answers = new ArrayList<>(pending.getAnswers());
        List<DeadLetter> letters = new ArrayList<>();
        int images = Math.max(pending.getImageUrls().size(), answered.stream().mapToInt(i -> i + 1).max().orElse(0));
        for (int i = 0; i < images; i++) {
            if (answered.contains(i)) {
                continue;
            }
            String message = "image " + i + " of post " + pending.getPostId() + " got no answer: " + why
                    + "; the post completed without it";
            answers.add(ImageAnswer.newBuilder().setImageIndex(i).setImageSha256("").setText("").setFailed(true)
                    .setError(DeadLetterReason.TIMEOUT.name() + ": " + why).setModelId(FailedAnswers.NO_MODEL).build());
            byte[] taskId = (pending.getPostId() + "/" + i).getBytes(StandardCharsets.UTF_8);
            letters.add(DeadLetters.of(Optional.empty(), taskId, null, DeadLetterReason.TIMEOUT, message, now));
        }
        answers.sort(Comparator.comparingInt(ImageAnswer::getImageIndex));
        CaptionedPost post = CaptionedPost.newBuilder(pending).setAnswers(answers)
                .setCompletedAt(java.time.Instant.ofEpochMilli(now)).build();
        return new TimedOutImages(post, letters);
    }
}
