package io.llavastream.search;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.topics.Topics;
import io.llavastream.tensor.TensorCodec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageIndexTest {
    static final String A = "a".repeat(64);
    static final String B = "b".repeat(64);
    static final String C = "c".repeat(64);

    @Test
    void aLabelFilterKeepsOnlyImagesCarryingThatLabelAndAReplacedEmbeddingTakesItsNewLabels() {
        try (ImageIndex index = new ImageIndex()) {
            index.putEmbedding(A, "m1", new float[] {1, 0}, "p1", 0, List.of("circle"));
            index.putEmbedding(B, "m1", new float[] {0.9f, 0.1f}, "p2", 0, List.of("square", "circle"));
            index.putEmbedding(C, "m1", new float[] {0.8f, 0.2f}, "p3", 0, List.of());
            index.refresh();
            assertThat(index.search(new float[] {1, 0}, 5, "m1", "circle")).extracting(SearchHit::sha256)
                    .containsExactly(A, B);
            assertThat(index.search(new float[] {1, 0}, 5, "m1", "square")).extracting(SearchHit::sha256)
                    .containsExactly(B);
            assertThat(index.search(new float[] {1, 0}, 5, "m1", "cross")).isEmpty();
            assertThat(index.search(new float[] {1, 0}, 5, "m1", null)).hasSize(3);
            index.putEmbedding(A, "m1", new float[] {1, 0}, "p1", 0, List.of("cross"));
            index.refresh();
            assertThat(index.search(new float[] {1, 0}, 5, "m1", "circle")).extracting(SearchHit::sha256)
                    .containsExactly(B);
        }
    }

    @Test
    void nearestImagesComeFirstWithTheirPostsAndCosineScores() {
        try (ImageIndex index = new ImageIndex()) {
            index.putEmbedding(A, "m1", new float[] {1, 0, 0}, "p1", 0);
            index.putEmbedding(B, "m1", new float[] {0, 2, 0}, "p2", 3);  // normalised on the way in
            index.putEmbedding(C, "m1", new float[] {0.6f, 0.8f, 0}, "p3", 1);
            index.refresh();
            List<SearchHit> hits = index.search(new float[] {0, 1, 0}, 2, "m1");
            assertThat(hits).extracting(SearchHit::sha256).containsExactly(B, C);
            assertThat(hits.get(0).postId()).isEqualTo("p2");
            assertThat(hits.get(0).imageIndex()).isEqualTo(3);
            assertThat(hits.get(0).score()).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(hits.get(1).score()).isCloseTo(0.8f, org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(index.size()).isEqualTo(3);
        }
    }

    @Test
    void aReplayedKeyOverwritesAndATombstoneDeletes() {
        try (ImageIndex index = new ImageIndex()) {
            index.putEmbedding(A, "m1", new float[] {1, 0}, "p1", 0);
            index.putEmbedding(A, "m1", new float[] {0, 1}, "p9", 2);
            index.putEmbedding(B, "m1", new float[] {1, 0}, "p2", 0);
            index.refresh();
            assertThat(index.size()).isEqualTo(2);
            assertThat(index.search(new float[] {0, 1}, 1, "m1").get(0).postId()).isEqualTo("p9");
            index.deleteEmbedding(ImageIndex.key(A, "m1"));
            index.refresh();
            assertThat(index.search(new float[] {0, 1}, 5, "m1")).extracting(SearchHit::sha256).containsExactly(B);
        }
    }

    @Test
    void theModelFilterKeepsOtherModelsOut() {
        try (ImageIndex index = new ImageIndex()) {
            index.putEmbedding(A, "m1", new float[] {1, 0}, "p1", 0);
            index.putEmbedding(A, "m2", new float[] {1, 0}, "p1", 0);
            index.putEmbedding(B, "m2", new float[] {0.9f, 0.1f}, "p2", 0);
            index.refresh();
            assertThat(index.search(new float[] {1, 0}, 5, "m1")).extracting(SearchHit::modelId).containsExactly("m1");
            assertThat(index.search(new float[] {1, 0}, 5, "m2")).hasSize(2);
            assertThat(index.search(new float[] {1, 0}, 5, null)).hasSize(3);
            assertThat(index.search(new float[] {1, 0, 0}, 5, "m1")).isEmpty();  // no model of that width
        }
    }

    @Test
    void aCaptionJoinsItsImageWhetherItArrivesBeforeOrAfterTheEmbedding() {
        try (ImageIndex index = new ImageIndex()) {
            index.putCaption(A, "a red circle");                             // before
            index.putEmbedding(A, "m1", new float[] {1, 0}, "p1", 0);
            index.putEmbedding(B, "m1", new float[] {0, 1}, "p2", 0);
            index.refresh();
            assertThat(index.search(new float[] {0, 1}, 1, "m1").get(0).caption()).isNull();
            index.putCaption(B, "a blue square");                            // after
            index.putCaption(A, "a red circle, recaptioned");                // newer wins
            index.refresh();
            assertThat(index.search(new float[] {1, 0}, 2, "m1")).extracting(SearchHit::caption)
                    .containsExactly("a red circle, recaptioned", "a blue square");
            assertThat(index.size()).isEqualTo(2);
        }
    }

    @Test
    void badValuesAreNamed() {
        try (ImageIndex index = new ImageIndex()) {
            assertThatThrownBy(() -> index.putEmbedding(A, "m1", new float[] {0, 0}, "p", 0))
                    .hasMessageContaining(A + "|m1").hasMessageContaining("all zeros");
            assertThatThrownBy(() -> index.search(new float[] {1, Float.NaN}, 1, "m1"))
                    .hasMessageContaining("NaN");
            assertThatThrownBy(() -> index.search(new float[] {1, 0}, 0, "m1")).hasMessageContaining("not 0");
        }
    }

    @Test
    void anOnDiskIndexKeepsWhatWasCommitted(@TempDir Path dir) {
        try (ImageIndex index = ImageIndex.open(dir)) {
            index.putEmbedding(A, "m1", new float[] {1, 0}, "p1", 0);
            index.commit();
        }
        try (ImageIndex index = ImageIndex.open(dir)) {
            assertThat(index.search(new float[] {1, 0}, 1, "m1")).extracting(SearchHit::postId).containsExactly("p1");
        }
    }

    @Test
    void topicRecordsApplyInEitherOrder() {
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        var embeddings = Topics.IMAGE_EMBEDDINGS.valueSerde(registry);
        var captioned = Topics.CAPTIONED_POSTS.valueSerde(registry);
        byte[] emb = embeddings.serialize(Topics.IMAGE_EMBEDDINGS.name(), ImageEmbedding.newBuilder()
                .setImageSha256(A).setModelId("m1").setEmbedding(TensorCodec.fp32(new float[] {0, 3}, 2))
                .setPostId("p1").setImageIndex(1).build());
        byte[] post = captioned.serialize(Topics.CAPTIONED_POSTS.name(), CaptionedPost.newBuilder().setPostId("p1")
                .setSource("t").setReceivedAt(Instant.EPOCH).setCompletedAt(Instant.EPOCH).setAnswers(List.of(
                        answer(0, B, "", true), answer(1, A, "a green triangle", false))).build());
        for (boolean captionFirst : new boolean[] {true, false}) {
            try (ImageIndex index = new ImageIndex()) {
                TopicRecordApplier applier = new TopicRecordApplier(registry, index);
                if (captionFirst) {
                    applier.apply(Topics.CAPTIONED_POSTS.name(), "p1", post);
                }
                applier.apply(Topics.IMAGE_EMBEDDINGS.name(), A + "|m1", emb);
                if (!captionFirst) {
                    applier.apply(Topics.CAPTIONED_POSTS.name(), "p1", post);
                }
                index.refresh();
                assertThat(index.search(new float[] {0, 1}, 5, "m1")).containsExactly(
                        new SearchHit(A, "m1", "p1", 1, "a green triangle", 1f));
                applier.apply(Topics.IMAGE_EMBEDDINGS.name(), A + "|m1", null);
                index.refresh();
                assertThat(index.size()).isZero();
            }
        }
        try (ImageIndex index = new ImageIndex()) {
            assertThatThrownBy(() -> new TopicRecordApplier(registry, index).apply("llava.posts", "k", new byte[0]))
                    .hasMessageContaining("llava.posts");
        }
    }

    static ImageAnswer answer(int i, String sha, String text, boolean failed) {
        return ImageAnswer.newBuilder().setImageIndex(i).setImageSha256(sha).setText(text).setFailed(failed)
                .setError(failed ? "corrupt" : null).setModelId("lm").build();
    }
}
