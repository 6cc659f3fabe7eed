package io.llavastream.scenes;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntConsumer;

/**
 * Writes scenes as {@code <id>.png} files plus {@code scenes.jsonl}, one ground-truth object per line:
 * {@code id, file, caption, objects[], questions[{type, question, answer}]}.
 */
public final class SceneWriter {
    public static final String GROUND_TRUTH_FILE = "scenes.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SceneWriter() {
    }

    /** Writes scenes {@code 0..count-1} of {@code seed} into {@code dir}; {@code progress} gets each index done. */
    public static Path write(long seed, int count, Path dir, IntConsumer progress) throws IOException {
        Files.createDirectories(dir);
        SceneGenerator gen = new SceneGenerator(seed);
        Path jsonl = dir.resolve(GROUND_TRUTH_FILE);
        try (BufferedWriter w = Files.newBufferedWriter(jsonl)) {
            for (int i = 0; i < count; i++) {
                Scene s = gen.scene(i);
                String file = s.id() + ".png";
                Files.write(dir.resolve(file), SceneRenderer.png(s));
                w.write(JSON.writeValueAsString(toJson(s, file)));
                w.newLine();
                progress.accept(i);
            }
        }
        return jsonl;
    }

    public static ObjectNode toJson(Scene s, String file) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", s.id());
        n.put("file", file);
        n.put("caption", s.caption());
        ArrayNode objs = n.putArray("objects");
        for (SceneObject o : s.objects()) {
            objs.addObject().put("shape", o.shape().word()).put("color", o.color().word()).put("size", o.size().word())
                    .put("position", o.placement().word()).put("center_x", o.centerX()).put("center_y", o.centerY())
                    .put("extent_px", o.extent());
        }
        ArrayNode qs = n.putArray("questions");
        for (Question q : s.questions()) {
            qs.addObject().put("type", q.type().id()).put("question", q.question()).put("answer", q.answer());
        }
        return n;
    }
}
