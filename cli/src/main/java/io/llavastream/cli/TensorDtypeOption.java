package io.llavastream.cli;

import io.llavastream.schemas.DType;
import io.llavastream.tensor.WireDtype;
import org.apache.kafka.common.config.ConfigException;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --tensor-dtype}: the {@link WireDtype} setting, for the commands that write or hand on Zv and Hv. */
final class TensorDtypeOption {
    @Option(names = "--tensor-dtype", defaultValue = WireDtype.DEFAULT, paramLabel = "FP16|BF16|FP32",
            converter = Converter.class,
            description = "The " + WireDtype.CONFIG + " setting (default ${DEFAULT-VALUE}). " + WireDtype.DOC)
    DType dtype;

    DType dtype() {
        return dtype;
    }

    /** A bad value is a usage error naming it, not a stack trace. */
    static final class Converter implements ITypeConverter<DType> {
        @Override
        public DType convert(String value) {
            try {
                return WireDtype.parse(value);
            } catch (ConfigException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
