package io.llavastream.tensor;

import io.llavastream.schemas.DType;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The {@value #CONFIG} setting, declared once in {@link #DEFINITION}: the element type of the large tensors that
 * cross Kafka between stages, the vision features Zv and the projected image features Hv. The stage workers' config
 * includes this definition; the in-process driver and the commands built on it take the same value, so both paths
 * round the same way and answer with the same tokens.
 */
public final class WireDtype {
    /** The setting's name. */
    public static final String CONFIG = "tensor.dtype";
    /** FP16: half the bytes of FP32; the greedy tokens of the sample set do not change (WireDtypeAgreementTest). */
    public static final String DEFAULT = "FP16";
    public static final String DOC = "Element type of the large tensors the stages write to Kafka: the vision "
            + "features Zv (vision-features, merge-requests; written by the vision stage) and the image features Hv "
            + "(decode-requests; written by the merge stage). FP16 (default) halves their bytes, rounding to nearest "
            + "even; BF16 also halves them, with fp32's range and 8 bits of mantissa; FP32 is lossless. The CLIP "
            + "image embedding (search) is always FP32. Readers accept every dtype, so workers with different "
            + "settings can share topics, but answers are identical to the in-process driver's only when both use "
            + "the same value.";
    /** Declares {@value #CONFIG}; include it in a config's definition with {@code new ConfigDef(DEFINITION)}. */
    public static final ConfigDef DEFINITION = new ConfigDef().define(CONFIG, Type.STRING, DEFAULT,
            ConfigDef.CaseInsensitiveValidString.in("FP16", "BF16", "FP32"), Importance.MEDIUM, DOC);

    private WireDtype() {
    }

    /** The dtype the settings choose (the default when {@value #CONFIG} is absent). */
    public static DType of(Map<?, ?> settings) {
        return parse(new AbstractConfig(DEFINITION, settings, false).getString(CONFIG));
    }

    /** The default: {@value #DEFAULT}. */
    public static DType defaultDtype() {
        return parse(DEFAULT);
    }

    /** FP16, BF16 or FP32 in any case; a {@link ConfigException} naming the value otherwise. */
    public static DType parse(String value) {
        if (value == null) {
            throw new ConfigException(CONFIG, null, "expected one of FP16, BF16, FP32");
        }
        DEFINITION.configKeys().get(CONFIG).validator.ensureValid(CONFIG, value);
        return DType.valueOf(value.toUpperCase(Locale.ROOT));
    }
}
