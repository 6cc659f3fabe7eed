package io.llavastream.search;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * A Lucene index of CLIP image embeddings for text-to-image search; Lucene's HNSW graph does the kNN search.
 *
 * <p>Writes one image document per {@code <sha256>|<model id>} (replaced on every put, so a replay or a compacted
 * topic overwrites rather than duplicates): the L2-normalised embedding in a {@link KnnFloatVectorField} (dot
 * product similarity; the field is named per dimension, {@code embedding_<E>}, so models of different widths can
 * share the index) and stored sha256, model_id, post_id, image_index. Captions are documents of their own, keyed by
 * sha256 and replaced by each newer caption, joined to the hits at query time: a caption may therefore arrive before
 * or after its image's embedding. Reads go through a near-real-time {@link SearcherManager}: writes become visible
 * after {@link #refresh()}.
 */
public final class ImageIndex implements AutoCloseable {
    static final String KIND = "kind";
    static final String KEY = "key";
    static final String SHA = "sha256";
    static final String MODEL = "model_id";
    static final String POST = "post_id";
    static final String IMAGE_INDEX = "image_index";
    static final String CAPTION = "caption";
    /** A zero-shot label of the image (one term per label). */
    static final String LABEL = "label";
    private static final String IMAGE_KIND = "image";
    private static final String CAPTION_KIND = "caption";

    private final Directory directory;
    private final IndexWriter writer;
    private final SearcherManager searchers;

    /** An index in memory ({@link ByteBuffersDirectory}). */
    public ImageIndex() {
        this(new ByteBuffersDirectory());
    }

    /** An index in the directory {@code path} (created if missing; an existing index there is kept and added to). */
    public static ImageIndex open(Path path) {
        try {
            return new ImageIndex(FSDirectory.open(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a Lucene index at " + path, e);
        }
    }

    private ImageIndex(Directory directory) {
        try {
            this.directory = directory;
            this.writer = new IndexWriter(directory, new IndexWriterConfig().setOpenMode(
                    IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open an index writer on " + directory, e);
        }
    }

    /** The document key of an image embedding, as the image-embeddings topic keys it. */
    public static String key(String sha256, String modelId) {
        return sha256 + "|" + modelId;
    }

    /** The vector field for embeddings of {@code dims} dimensions. */
    static String vectorField(int dims) {
        return "embedding_" + dims;
    }

    /** Adds or replaces the image {@code <sha256>|<modelId>}; {@code embedding} is copied and L2-normalised. */
    public void putEmbedding(String sha256, String modelId, float[] embedding, String postId, int imageIndex) {
        putEmbedding(sha256, modelId, embedding, postId, imageIndex, List.of());
    }

    /**
     * As above, with the image's zero-shot labels (ImageEmbedding.labels), each indexed as a term that
     * {@link #search(float[], int, String, String)} filters on.
     */
    public void putEmbedding(String sha256, String modelId, float[] embedding, String postId, int imageIndex,
                             List<String> labels) {
        String key = key(sha256, modelId);
        float[] unit = normalized(embedding, "embedding of " + key);
        Document d = new Document();
        d.add(new StringField(KIND, IMAGE_KIND, Field.Store.NO));
        d.add(new StringField(KEY, key, Field.Store.YES));
        d.add(new StringField(SHA, sha256, Field.Store.YES));
        d.add(new StringField(MODEL, modelId, Field.Store.YES));
        d.add(new StoredField(POST, postId));
        d.add(new StoredField(IMAGE_INDEX, imageIndex));
        for (String label : labels) {
            d.add(new StringField(LABEL, label, Field.Store.NO));
        }
        d.add(new KnnFloatVectorField(vectorField(unit.length), unit, VectorSimilarityFunction.DOT_PRODUCT));
        update(key, d);
    }

    /** Removes the image {@code <sha256>|<model id>} (a tombstone on the compacted topic). */
    public void deleteEmbedding(String key) {
        try {
            writer.deleteDocuments(new Term(KEY, key));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + key, e);
        }
    }

    /** Sets the caption of the image {@code sha256}, for every model's embedding of it, replacing an older one. */
    public void putCaption(String sha256, String caption) {
        Document d = new Document();
        d.add(new StringField(KIND, CAPTION_KIND, Field.Store.NO));
        d.add(new StringField(KEY, captionKey(sha256), Field.Store.NO));
        d.add(new StoredField(CAPTION, caption));
        update(captionKey(sha256), d);
    }

    private void update(String key, Document d) {
        try {
            writer.updateDocument(new Term(KEY, key), d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot index " + key, e);
        }
    }

    /** Makes every write so far visible to searches (a near-real-time reopen, no fsync). */
    public void refresh() {
        try {
            searchers.maybeRefreshBlocking();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot refresh the searcher", e);
        }
    }

    /** Commits the writes to the directory (durable for an {@link #open(Path) on-disk} index). */
    public void commit() {
        try {
            writer.commit();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot commit the index", e);
        }
    }

    /** Image documents visible to searches. */
    public int size() {
        return withSearcher(s -> s.count(new TermQuery(new Term(KIND, IMAGE_KIND))));
    }

    /**
     * The {@code k} images whose embeddings are nearest {@code query} (copied and L2-normalised), best first.
     *
     * @param modelId only this vision model's embeddings (they share a space with its text tower); null for any
     */
    /** Neighbours the HNSW search explores at least (Elasticsearch's num_candidates), of which k are returned. */
    static final int CANDIDATES = 100;

    public List<SearchHit> search(float[] query, int k, String modelId) {
        return search(query, k, modelId, null);
    }

    /** As above, among the images that carry zero-shot label {@code label} only (null: any image). */
    public List<SearchHit> search(float[] query, int k, String modelId, String label) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, not " + k);
        }
        float[] unit = normalized(query, "query");
        BooleanQuery.Builder filter = new BooleanQuery.Builder()
                .add(new TermQuery(new Term(KIND, IMAGE_KIND)), BooleanClause.Occur.FILTER);
        if (modelId != null) {
            filter.add(new TermQuery(new Term(MODEL, modelId)), BooleanClause.Occur.FILTER);
        }
        if (label != null) {
            filter.add(new TermQuery(new Term(LABEL, label)), BooleanClause.Occur.FILTER);
        }
        // explore at least CANDIDATES neighbours in the HNSW graph and keep the best k: near-exact top hits whatever
        // order the documents were inserted in (the graph depends on it)
        Query knn = new KnnFloatVectorQuery(vectorField(unit.length), unit, Math.max(k, CANDIDATES), filter.build());
        return withSearcher(s -> hits(s, s.search(knn, k)));
    }

    private static List<SearchHit> hits(IndexSearcher s, TopDocs top) throws IOException {
        StoredFields stored = s.storedFields();
        List<SearchHit> out = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc sd : top.scoreDocs) {
            Document d = stored.document(sd.doc);
            String sha = d.get(SHA);
            out.add(new SearchHit(sha, d.get(MODEL), d.get(POST), d.getField(IMAGE_INDEX).numericValue().intValue(),
                    caption(s, stored, sha), 2 * sd.score - 1));  // DOT_PRODUCT scores (1 + cos) / 2
        }
        return out;
    }

    private static String caption(IndexSearcher s, StoredFields stored, String sha) throws IOException {
        TopDocs c = s.search(new TermQuery(new Term(KEY, captionKey(sha))), 1);
        return c.scoreDocs.length == 0 ? null : stored.document(c.scoreDocs[0].doc).get(CAPTION);
    }

    private static String captionKey(String sha256) {
        return "caption|" + sha256;
    }

    private static float[] normalized(float[] v, String what) {
        if (v == null || v.length == 0) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (v.length > KnnVectorsFormat.DEFAULT_MAX_DIMENSIONS) {
            throw new IllegalArgumentException(what + " has " + v.length + " dimensions; Lucene indexes at most "
                    + KnnVectorsFormat.DEFAULT_MAX_DIMENSIONS);
        }
        double s = 0;
        for (float x : v) {
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException(what + " holds a non-finite value " + x);
            }
            s += (double) x * x;
        }
        if (s == 0) {
            throw new IllegalArgumentException(what + " is all zeros and has no direction");
        }
        float inv = (float) (1 / Math.sqrt(s));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * inv;
        }
        return out;
    }

    private interface SearcherWork<T> {
        T apply(IndexSearcher s) throws IOException;
    }

    private <T> T withSearcher(SearcherWork<T> work) {
        try {
            IndexSearcher s = searchers.acquire();
            try {
                return work.apply(s);
            } finally {
                searchers.release(s);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("search failed", e);
        }
    }

    @Override
    public void close() {
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close the index", e);
        }
    }
}
