/**
 * Text-to-image search. {@link io.llavastream.search.IndexBuilder} reads the image-embeddings topic (CLIP image
 * embeddings, compacted, keyed by {@code <sha256>|<model id>}) and the captioned-posts topic into an
 * {@link io.llavastream.search.ImageIndex}, a Lucene index whose HNSW graph ({@code KnnFloatVectorField}) does the
 * nearest-neighbour search; replaying the topics rebuilds it. {@link io.llavastream.search.SearchService} embeds a
 * description with CLIP's text tower and asks the index for the top k; {@link io.llavastream.search.SearchHttpServer}
 * serves that as {@code GET /search?q=...&k=5}.
 */
package io.llavastream.search;
