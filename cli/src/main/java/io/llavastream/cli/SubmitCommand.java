package io.llavastream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.llavastream.schemas.Post;
import io.llavastream.serde.AvroSerde;
import io.llavastream.topics.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code submit}: image files, directories of images, or post JSON onto the posts topic. */
@Command(name = "submit", mixinStandardHelpOptions = true,
        description = {"Put posts on the input topic: each image file becomes a one-image post, each directory one "
                + "post per image in it, each .json file a post (fields of schemas/src/main/avro/Post.avsc; images as "
                + "[{\"path\": ...} or {\"data_base64\": ...}]).",
                "Prints each post id (with --json: one {\"post_id\", \"images\"} object per line)."})
final class SubmitCommand implements Callable<Integer> {
    @Mixin
    KafkaOptions kafka;
    @Mixin
    RegistryOptions registry;
    @Option(names = "--source", defaultValue = "cli", description = "Source of image posts (default ${DEFAULT-VALUE}).")
    String source;
    @Option(names = "--question", description = "Ask this about every image instead of captioning it.")
    String question;
    @Option(names = "--json", description = "One JSON object per submitted post.")
    boolean json;
    @Parameters(arity = "1..*", paramLabel = "PATH", description = "Image files, directories or post .json files.")
    List<Path> paths;

    @Override
    public Integer call() throws Exception {
        List<Post> posts = new ArrayList<>();
        for (Path p : paths) {
            posts.addAll(read(p));
        }
        AvroSerde<Post> serde = Topics.POSTS.valueSerde(registry.connect());
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(kafka.load().producer(),
                new StringSerializer(), new ByteArraySerializer())) {
            for (Post post : posts) {
                producer.send(new ProducerRecord<>(Topics.POSTS.name(), post.getId(),
                        serde.serialize(Topics.POSTS.name(), post))).get();
                if (json) {
                    JsonLines.print(JsonLines.object().put("post_id", post.getId())
                            .put("images", post.getImages().size()));
                } else {
                    System.out.println(post.getId());
                }
            }
        }
        return 0;
    }

    private List<Post> read(Path p) throws Exception {
        if (Files.isDirectory(p)) {
            List<Post> out = new ArrayList<>();
            try (Stream<Path> files = Files.list(p)) {
                for (Path f : files.filter(Posts::isImage).sorted().toList()) {
                    out.add(Posts.ofImages(id(f), source, List.of(f), question));
                }
            }
            return out;
        }
        if (p.toString().endsWith(".json")) {
            JsonNode n = JsonLines.JSON.readTree(p.toFile());
            List<Post> out = new ArrayList<>();
            for (JsonNode post : n.isArray() ? n : JsonLines.JSON.createArrayNode().add(n)) {
                out.add(Posts.ofJson(post, p.toAbsolutePath().getParent()));
            }
            return out;
        }
        return List.of(Posts.ofImages(id(p), source, List.of(p), question));
    }

    private static String id(Path f) {
        return f.getFileName() + "-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
