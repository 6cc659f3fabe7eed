package io.llavastream.chaos;

import io.llavastream.pipeline.PostExport;
import io.llavastream.search.ImageIndex;
import io.llavastream.search.IndexBuilder;
import io.llavastream.serde.SchemaRegistry;
import io.llavastream.topics.Topics;
import java.io.Writer;
import java.time.Duration;
import java.util.Map;

/**
 * The readers of the topics no pipeline process reads, run over everything there is: {@code export} over
 * {@link Topics#CAPTIONED_POSTS}, and {@code search}'s index builder over {@link Topics#IMAGE_EMBEDDINGS} and
 * {@link Topics#CAPTIONED_POSTS}. Each must finish, skipping what it cannot read.
 *
 * @param exportError null when export finished
 * @param searchError null when the index caught up
 */
public record ReaderCheck(long exported, long exportSkipped, String exportError, long indexed, String searchError) {
    public boolean ok() {
        return exportError == null && searchError == null;
    }

    static ReaderCheck run(String bootstrapServers, SchemaRegistry registry) {
        Map<String, Object> common = Map.of("bootstrap.servers", bootstrapServers);
        long exported = 0;
        long skipped = 0;
        String exportError = null;
        try {
            PostExport.Summary s = new PostExport(common, registry).export(Topics.CAPTIONED_POSTS.name(),
                    PostExport.Range.all(), Writer.nullWriter(), n -> { }, () -> { });
            exported = s.posts();
            skipped = s.skipped();
        } catch (Exception | OutOfMemoryError e) {
            exportError = e.toString();
        }
        long indexed = 0;
        String searchError = null;
        try (ImageIndex index = new ImageIndex();
             IndexBuilder builder = new IndexBuilder(common, registry, index)) {
            indexed = builder.catchUp(Duration.ofSeconds(120), (read, total) -> { });
        } catch (Exception | OutOfMemoryError e) {
            searchError = e.toString();
        }
        return new ReaderCheck(exported, skipped, exportError, indexed, searchError);
    }
}
