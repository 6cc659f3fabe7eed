package io.llavastream.worker;

import io.llavastream.labels.LabelBook;
import io.llavastream.labels.LabelReader;
import io.llavastream.model.EngineOptions;
import io.llavastream.model.labels.LabelText;
import io.llavastream.serde.SchemaRegistry;
import java.nio.file.Path;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The vision worker's label parts: the CLIP text tower and the reader of the labels topic that feeds the label
 * book. Started before the driver, so that the labels already on the topic are in force for the first request
 * (waiting at most {@code vision.labels.load.timeout.ms}).
 *
 * <p>Reads {@link io.llavastream.topics.Topics#LABELS} (through {@link LabelReader}); writes nothing.
 */
record Labels(LabelText text, LabelReader reader) implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Labels.class);

    static Labels start(Path modelDir, EngineOptions options, WorkerConfig config, SchemaRegistry registry) {
        LabelText text = LabelText.load(modelDir, options);
        LabelReader reader;
        try {
            reader = new LabelReader(new KafkaConsumer<>(config.labelsConsumerProperties()), registry,
                    new LabelBook(text::scorer));
        } catch (RuntimeException e) {
            text.close();
            throw e;
        }
        Labels labels = new Labels(text, reader);
        try {
            if (!reader.awaitLoaded(config.labelsLoadTimeout())) {
                LOG.warn("labels: the label set was not read within {}; starting with what is read so far",
                        config.labelsLoadTimeout());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return labels;
    }

    @Override
    public void close() {
        reader.close();
        text.close();
    }
}
