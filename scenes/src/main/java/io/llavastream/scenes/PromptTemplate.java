package io.llavastream.scenes;

/**
 * The LLaVA-1.5 style conversation template the demo model was trained with. The {@code <image>} placeholder is
 * where the projected vision features go.
 */
public final class PromptTemplate {
    public static final String IMAGE_TOKEN = "<image>";
    /** The instruction used for captions. */
    public static final String CAPTION_INSTRUCTION = "describe the image.";

    private PromptTemplate() {
    }

    /** "USER: &lt;image&gt;\n{instruction} ASSISTANT:". */
    public static String userTurn(String instruction) {
        return "USER: " + IMAGE_TOKEN + "\n" + instruction + " ASSISTANT:";
    }

    public static String captionPrompt() {
        return userTurn(CAPTION_INSTRUCTION);
    }
}
