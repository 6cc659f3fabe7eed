package io.llavastream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.llavastream.serde.AvroSerde;
import io.llavastream.serde.InMemorySchemaRegistry;
import io.llavastream.tensor.TensorCodec;
import io.llavastream.topics.Topics;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/**
 * DecodeRequest gained image_features and image_positions, and its inputs_embeds became optional: records written
 * with the schema before (the whole [T, D] prompt, FP32) still decode, with the new fields at their defaults.
 */
class DecodeRequestEvolutionTest {
    /** DecodeRequest as it was before image_features: inputs_embeds required. */
    static final Schema OLD = new Schema.Parser().parse("""
            {"type": "record", "name": "DecodeRequest", "namespace": "io.llavastream.schemas", "fields": [
              {"name": "task", "type": %s},
              {"name": "input_ids", "type": {"type": "array", "items": "long"}},
              {"name": "inputs_embeds", "type": %s},
              {"name": "model_id", "type": "string"},
              {"name": "timings", "type": %s}]}""".formatted(TaskRef.getClassSchema(), Tensor.getClassSchema(),
            StageTimings.getClassSchema()));

    @Test
    void theNewSchemaReadsRecordsWrittenWithTheOldOne() throws Exception {
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(DecodeRequest.getClassSchema(), OLD)
                .getType()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        InMemorySchemaRegistry registry = new InMemorySchemaRegistry();
        int oldId = registry.register("old", OLD);
        Tensor embeds = TensorCodec.fp32(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        GenericRecord old = new GenericData.Record(OLD);
        old.put("task", TaskRef.newBuilder().setTaskId("p/0").setPostId("p").setSource("s").setImageIndex(0)
                .setImageCount(1).setImageSha256("0".repeat(64)).setPrompt("USER: <image> ASSISTANT:")
                .setReceivedAt(java.time.Instant.ofEpochMilli(5)).build());
        old.put("input_ids", List.of(1L, 2L));
        old.put("inputs_embeds", embeds);
        old.put("model_id", "m");
        old.put("timings", StageTimings.newBuilder().build());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(oldId).array());
        BinaryEncoder e = EncoderFactory.get().directBinaryEncoder(out, null);
        new org.apache.avro.specific.SpecificDatumWriter<GenericRecord>(OLD).write(old, e);
        e.flush();

        AvroSerde<DecodeRequest> serde = Topics.DECODE_REQUESTS.valueSerde(registry);
        DecodeRequest read = serde.deserialize(Topics.DECODE_REQUESTS.name(), out.toByteArray());
        assertThat(TensorCodec.floats(read.getInputsEmbeds())).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(read.getImageFeatures()).isNull();
        assertThat(read.getImagePositions()).isEmpty();
        assertThat(read.getInputIds()).containsExactly(1L, 2L);
    }

    @Test
    void everyFieldHasADoc() {
        for (Schema.Field f : DecodeRequest.getClassSchema().getFields()) {
            assertThat(f.doc()).as(f.name()).isNotBlank();
        }
    }
}
