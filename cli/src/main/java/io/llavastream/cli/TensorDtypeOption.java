package io.llavastream.cli;

import io.llavastream.schemas.DType;
import io.llavastream.tensor.WireDtype;
import picocli.CommandLine.Option;

/** {@code --tensor-dtype}: the {@link WireDtype} setting, for the commands that write or hand on Zv and Hv. */
final class TensorDtypeOption {
    @Option(names = "--tensor-dtype", defaultValue = WireDtype.DEFAULT, paramLabel = "FP16|BF16|FP32",
            description = "The " + WireDtype.CONFIG + " setting (default ${DEFAULT-VALUE}). " + WireDtype.DOC)
    String value;

    /** The chosen dtype; a ConfigException naming the value when it is not one. */
    DType dtype() {
        return WireDtype.parse(value);
    }
}
