package io.llavastream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;

/**
 * The zero-shot labels fields (issue 12) evolve every record they were added to compatibly: records written before
 * them are read with empty labels, and readers from before them read the new records (they skip the field).
 */
class LabelsEvolutionTest {
    static final List<Schema> CHANGED = List.of(MergeRequest.getClassSchema(), DecodeRequest.getClassSchema(),
            Answer.getClassSchema(), CaptionedPost.getClassSchema(), ImageEmbedding.getClassSchema());
    static final ObjectMapper JSON = new ObjectMapper();

    /** {@code schema} as it was before issue 12: every field named "labels" removed, at any depth. */
    static Schema withoutLabels(Schema schema) throws Exception {
        JsonNode n = JSON.readTree(schema.toString());
        strip(n);
        return new Schema.Parser().parse(n.toString());
    }

    private static void strip(JsonNode n) {
        if (n instanceof ObjectNode o && o.get("fields") instanceof ArrayNode fields) {
            for (int i = fields.size() - 1; i >= 0; i--) {
                if ("labels".equals(fields.get(i).path("name").asText())) {
                    fields.remove(i);
                }
            }
        }
        n.forEach(LabelsEvolutionTest::strip);
    }

    @Test
    void newReadersReadOldRecordsAndOldReadersReadNewOnes() throws Exception {
        for (Schema now : CHANGED) {
            Schema before = withoutLabels(now);
            assertThat(before.toString()).as(now.getName()).doesNotContain("\"labels\"");
            assertThat(SchemaCompatibility.checkReaderWriterCompatibility(now, before).getType())
                    .as(now.getName() + " reading records written before").isEqualTo(SchemaCompatibilityType.COMPATIBLE);
            assertThat(SchemaCompatibility.checkReaderWriterCompatibility(before, now).getType())
                    .as("a reader from before reading " + now.getName()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @Test
    void anAnswerWrittenBeforeTheLabelsReadsWithNone() throws Exception {
        Schema before = withoutLabels(Answer.getClassSchema());
        Answer a = Answer.newBuilder().setTask(TaskRef.newBuilder().setTaskId("p/0").setPostId("p").setSource("s")
                        .setImageIndex(0).setImageCount(1).setImageSha256("0".repeat(64)).setPrompt("x")
                        .setReceivedAt(java.time.Instant.ofEpochMilli(5)).build())
                .setText("a red circle").setTokenIds(List.of(1L)).setFinishReason(FinishReason.EOS).setModelId("m")
                .setTimings(StageTimings.newBuilder().build()).setCompletedAt(java.time.Instant.ofEpochMilli(6))
                .build();
        // the same answer as an old writer would have written it: through the old schema, no labels field
        GenericRecord old = new org.apache.avro.generic.GenericData.Record(before);
        for (Schema.Field f : before.getFields()) {
            old.put(f.name(), a.get(f.name()));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        org.apache.avro.specific.SpecificData model = new org.apache.avro.specific.SpecificData();
        model.addLogicalTypeConversion(new org.apache.avro.data.TimeConversions.TimestampMillisConversion());
        new GenericDatumWriter<GenericRecord>(before, model).write(old, e);
        e.flush();
        Answer read = new SpecificDatumReader<Answer>(before, Answer.getClassSchema())
                .read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
        assertThat(read.getText()).isEqualTo("a red circle");
        assertThat(read.getLabels()).isEmpty();
    }

    @Test
    void everyLabelsFieldAndEveryFieldOfTheNewRecordsHasADoc() {
        for (Schema s : List.of(LabelDefinition.getClassSchema(), ImageLabel.getClassSchema())) {
            for (Schema.Field f : s.getFields()) {
                assertThat(f.doc()).as(s.getName() + "." + f.name()).isNotBlank();
            }
        }
        for (Schema s : CHANGED) {
            assertThat(s.getField("labels").doc()).as(s.getName() + ".labels").isNotBlank();
            assertThat(s.getField("labels").hasDefaultValue()).as(s.getName() + ".labels default").isTrue();
        }
    }
}
