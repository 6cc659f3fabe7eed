package io.llavastream.topology;

/** The prompt an image is answered with: the post's question in the model's template, or the default prompt. */
final class Prompts {
    private Prompts() {
    }

    /** "USER: &lt;image&gt;\n{question} ASSISTANT:" when {@code question} has text, else {@code defaultPrompt}. */
    static String forQuestion(String question, String defaultPrompt) {
        if (question == null || question.isBlank()) {
            return defaultPrompt;
        }
        return "USER: " + PipelineConfig.IMAGE_PLACEHOLDER + "\n" + question.strip() + " ASSISTANT:";
    }
}
