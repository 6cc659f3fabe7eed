package io.llavastream.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llavastream.schemas.DType;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class WireDtypeTest {
    @Test
    void fp16IsTheDefaultAndEveryDtypeCanBeChosenInAnyCase() {
        assertThat(WireDtype.of(Map.of())).isEqualTo(DType.FP16);
        assertThat(WireDtype.defaultDtype()).isEqualTo(DType.FP16);
        assertThat(WireDtype.of(Map.of(WireDtype.CONFIG, "fp32"))).isEqualTo(DType.FP32);
        assertThat(WireDtype.of(Map.of(WireDtype.CONFIG, "BF16"))).isEqualTo(DType.BF16);
        assertThat(WireDtype.DEFINITION.configKeys().get(WireDtype.CONFIG).documentation).contains("FP16 (default)");
    }

    @Test
    void anUnknownDtypeIsAConfigErrorNamingTheValue() {
        assertThatThrownBy(() -> WireDtype.of(Map.of(WireDtype.CONFIG, "int8"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("int8").hasMessageContaining(WireDtype.CONFIG);
        assertThatThrownBy(() -> WireDtype.parse(null)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("FP16, BF16, FP32");
    }
}
