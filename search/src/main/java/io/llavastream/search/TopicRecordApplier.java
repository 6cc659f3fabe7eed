package io.llavastream.search;

import io.llavastream.schemas.CaptionedPost;
import io.llavastream.schemas.ImageAnswer;
import io.llavastream.schemas.ImageEmbedding;
import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import io.llavastream.tensor.TensorCodec;

/**
 * Turns one record of {@link Topics#IMAGE_EMBEDDINGS} or {@link Topics#CAPTIONED_POSTS} (Avro, Confluent wire
 * format) into writes on an {@link ImageIndex}: an embedding puts its image document, a tombstone deletes it, and each
 * answered image of a captioned post sets its sha256's caption. Failed answers are skipped; other topics are refused.
 */
final class TopicRecordApplier {
    private final AvroSerde<ImageEmbedding> embeddings;
    private final AvroSerde<CaptionedPost> captioned;
    private final ImageIndex index;

    TopicRecordApplier(SchemaRegistry registry, ImageIndex index) {
        this.embeddings = Topics.IMAGE_EMBEDDINGS.valueSerde(registry);
        this.captioned = Topics.CAPTIONED_POSTS.valueSerde(registry);
        this.index = index;
    }

    void apply(String topic, String key, byte[] value) {
        if (topic.equals(Topics.IMAGE_EMBEDDINGS.name())) {
            if (value == null) {
                index.deleteEmbedding(key);
                return;
            }
            ImageEmbedding e = embeddings.deserialize(topic, value);
            index.putEmbedding(e.getImageSha256(), e.getModelId(), TensorCodec.floats(e.getEmbedding()),
                    e.getPostId(), e.getImageIndex(), e.getLabels().stream().map(l -> l.getLabel()).toList());
        } else if (topic.equals(Topics.CAPTIONED_POSTS.name())) {
            if (value == null) {
                return;
            }
            for (ImageAnswer a : captioned.deserialize(topic, value).getAnswers()) {
                if (!a.getFailed() && !a.getText().isEmpty()) {
                    index.putCaption(a.getImageSha256(), a.getText());
                }
            }
        } else {
            throw new IllegalArgumentException("topic " + topic + " is neither " + Topics.IMAGE_EMBEDDINGS.name()
                    + " nor " + Topics.CAPTIONED_POSTS.name());
        }
    }
}
