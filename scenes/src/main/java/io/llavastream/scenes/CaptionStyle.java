package io.llavastream.scenes;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The "vertical domain" caption styles the bundled LoRA adapters were trained to write (docs/adapters.md), built
 * from a scene's ground truth. Every word is in the demo model's vocabulary (an adapter cannot add tokens).
 * tools/train/train_adapter.py writes the same strings (its STYLES); the adapters' held-out tests compare against
 * these.
 */
public enum CaptionStyle {
    /** Per object, in caption order: "shape : circle . color : red . large . left .". */
    CATALOG {
        @Override
        public String render(List<SceneObject> objects) {
            return objects.stream().map(o -> "shape : " + o.shape().word() + " . color : " + o.color().word() + " . "
                    + o.size().word() + " . " + o.placement().word() + " .").collect(Collectors.joining(" "));
        }
    },
    /** "there are two shapes : large red circle left and small blue square right .". */
    INVENTORY {
        @Override
        public String render(List<SceneObject> objects) {
            String head = objects.size() == 1 ? "there is one shape :" : "there are two shapes :";
            return head + " " + objects.stream().map(o -> o.size().word() + " " + o.color().word() + " "
                    + o.shape().word() + " " + o.placement().word()).collect(Collectors.joining(" and ")) + " .";
        }
    },
    /** "red circle . blue square .". */
    TERSE {
        @Override
        public String render(List<SceneObject> objects) {
            return objects.stream().map(o -> o.color().word() + " " + o.shape().word() + " .")
                    .collect(Collectors.joining(" "));
        }
    };

    /**
     * The scene's caption in this style, word by word with single spaces. The demo tokenizer's decoder writes a
     * '.' against the word before it ("circle."), so compare words, not strings, with a decoded answer.
     */
    public abstract String render(List<SceneObject> objects);

    /** The style's name as adapter configs write it ("catalog"). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The style called {@code id}; an unknown id names the known ones. */
    public static CaptionStyle of(String id) {
        for (CaptionStyle s : values()) {
            if (s.id().equals(id)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown caption style '" + id + "'; expected one of "
                + java.util.Arrays.stream(values()).map(CaptionStyle::id).toList());
    }
}
