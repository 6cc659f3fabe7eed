package io.llavastream.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.schemas.ImageTask;
import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** source.adapters: parsing, refusals naming the bad entry, and the adapter every image of a source's post carries. */
class SourceAdaptersTest {
    @Test
    void entriesAreTrimmedAndEmptyOnesSkipped() {
        assertThat(SourceAdapters.parse(" shop = catalog ;; blog=terse; ")).containsExactly(
                Map.entry("shop", "catalog"), Map.entry("blog", "terse"));
        assertThat(SourceAdapters.parse("")).isEmpty();
        assertThat(SourceAdapters.parse(null)).isEmpty();
    }

    @Test
    void aBadEntryOrATwiceGivenSourceIsRefusedNamingIt() {
        assertThatThrownBy(() -> SourceAdapters.parse("shop")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("\"shop\"").hasMessageContaining("source=adapter");
        assertThatThrownBy(() -> SourceAdapters.parse("shop=cat alog")).hasMessageContaining("\"shop=cat alog\"");
        assertThatThrownBy(() -> SourceAdapters.parse("=catalog")).hasMessageContaining("\"=catalog\"");
        assertThatThrownBy(() -> SourceAdapters.parse("a=x;a=y")).hasMessageContaining("\"a\" is given twice");
    }

    @Test
    void everyImageOfAPostCarriesItsSourcesAdapterAndOtherSourcesNone() {
        Map<String, String> adapters = SourceAdapters.parse("shop=catalog");
        for (String source : List.of("shop", "blog")) {
            Post post = Post.newBuilder().setId("p-" + source).setSource(source).setCreatedAt(Instant.EPOCH)
                    .setImages(List.of(image(), image())).build();
            List<ImageTask> tasks = ImageTasks.split(post, PromptRule.defaults(), adapters, Instant.EPOCH);
            assertThat(tasks).hasSize(2).allSatisfy(t -> assertThat(t.getTask().getAdapter())
                    .isEqualTo(source.equals("shop") ? "catalog" : ""));
        }
    }

    private static PostImage image() {
        return PostImage.newBuilder().setContentType("image/png").setData(ByteBuffer.wrap(new byte[] {1, 2})).build();
    }

    @Test
    void aPostsOwnAdapterOverridesItsSourcesEntry() {
        Post post = Post.newBuilder().setId("p").setSource("shop").setCreatedAt(Instant.EPOCH)
                .setImages(List.of(image())).setAdapter("terse").build();
        List<ImageTask> tasks = ImageTasks.split(post, PromptRule.defaults(), SourceAdapters.parse("shop=catalog"),
                Instant.EPOCH);
        assertThat(tasks.get(0).getTask().getAdapter()).isEqualTo("terse");
    }
}
