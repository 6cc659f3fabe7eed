package io.llavastream.chaos;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line that runs {@code ./llava-stream ARGS} as a new JVM with this JVM's java and class path, the
 * given heap, offline model tooling, and the same repository root (where the bundled model is found).
 */
final class JavaCommand {
    static final String MAIN = "io.llavastream.cli.Main";

    private final String javaBinary;
    private final String classPath;
    private final List<String> jvmOptions;

    private JavaCommand(String javaBinary, String classPath, List<String> jvmOptions) {
        this.javaBinary = javaBinary;
        this.classPath = classPath;
        this.jvmOptions = List.copyOf(jvmOptions);
    }

    static JavaCommand ofThisJvm(String heap, List<String> extra) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> options = new ArrayList<>(List.of("-Xmx" + heap, "-Dai.djl.offline=true"));
        String root = System.getProperty("llava.repo.root");
        if (root != null) {
            options.add("-Dllava.repo.root=" + root);
        }
        options.addAll(extra);
        return new JavaCommand(java, System.getProperty("java.class.path"), options);
    }

    List<String> command(List<String> args) {
        List<String> c = new ArrayList<>();
        c.add(javaBinary);
        c.addAll(jvmOptions);
        c.add("-cp");
        c.add(classPath);
        c.add(MAIN);
        c.addAll(args);
        return c;
    }
}
