package io.llavastream.pipeline;

import io.llavastream.schemas.Post;
import io.llavastream.schemas.PostImage;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Posts of PNG images with no body, as the demo, the benchmarks and the pipeline tests send them. */
public final class PngPosts {
    private PngPosts() {
    }

    public static Post of(String id, String source, List<byte[]> pngs) {
        List<PostImage> images = new ArrayList<>(pngs.size());
        for (byte[] png : pngs) {
            images.add(PostImage.newBuilder().setContentType("image/png").setData(ByteBuffer.wrap(png)).build());
        }
        return Post.newBuilder().setId(id).setSource(source).setCreatedAt(Instant.now()).setImages(images)
                .setAttributes(Map.of()).build();
    }

    public static Post of(String id, String source, byte[] png) {
        return of(id, source, List.of(png));
    }
}
